"""No personal data in any log line: the masking is on the record factory, so it holds for
loggers and handlers created after it was installed, and for tracebacks."""

from __future__ import annotations

import io
import logging

import bot  # noqa: F401 - importing bot installs the masking (the Rasa server does the same)


def test_a_handler_added_later_gets_masked_records_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("a.library.that.came.later")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("mail %s tlf %s kode %s", "ola@example.no", "+47 412 34 567", "123456")
        try:
            raise ValueError("bad address kari@example.com")
        except ValueError:
            logger.exception("failed for 41234567")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    for private in ("ola@example.no", "412 34 567", "123456", "kari@example.com", "41234567"):
        assert private not in text, text
    assert "<e-post>" in text and "<telefon>" in text and "<kode>" in text
    assert "ValueError" in text  # the traceback is still there, masked
