"""No personal data in logs, in any process: e-mail addresses, phone numbers (of every
country: ``phonenumbers`` finds them, and any ``+``/``00`` international form is masked too)
and six-digit codes are masked in every log record this process creates, also the request
bodies Rasa echoes when its API refuses one.

``install_pii_filter()`` replaces the process's log-record factory, so the masking holds for
every logger and every handler, also those a library (Rasa, Sanic, structlog) sets up after
us; the message, its arguments, and the text of an exception's traceback are masked once,
when the record is made. ``import bot`` installs it (bot/__init__.py): the Rasa server
imports our channels (credentials.yml) and stores (endpoints.yml), the action server our
actions, the CLI its commands, so every process that runs our code has it.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any, Callable, Optional

EMAIL = (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), "<e-post>")
PHONE = "<telefon>"
PATTERNS = [
    # international forms of any country: + or 00, then 7 to 15 digits with separators
    (
        re.compile(r"(?<![\w+])(?:\+|\b00)\s?\d(?:[\s\-./()]{0,2}\d){6,14}(?![\w])"),
        PHONE,
    ),
    (re.compile(r"(?<![\w-])(?:\+|00)?(?:47[\s-]?)?(?:\d[\s-]?){7}\d(?![\w-])"), PHONE),
    (re.compile(r"(?<![\w-])\d{6}(?![\w-])"), "<kode>"),
]
PHONE_REGION = "NO"  # numbers without a country code are read as Norwegian
MIN_PERSONAL_DIGITS = 8
MAX_SCANNED = 20_000  # the phone number matcher is slow on huge texts: the regexes still run

_previous_factory: Optional[Callable[..., logging.LogRecord]] = None


def _mask_phone_numbers(text: str) -> str:
    """Every phone number ``phonenumbers`` finds, national (Norwegian) or of any country."""
    if len(text) > MAX_SCANNED or not re.search(r"\d{2}", text):
        return text
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover - it is a dependency; the regexes still mask
        return text
    spans = [
        (m.start, m.end)
        for m in phonenumbers.PhoneNumberMatcher(
            text, PHONE_REGION, leniency=phonenumbers.Leniency.VALID
        )
        # a person's number has 8 digits or more (Norwegian ones 8); shorter "possible"
        # numbers are ports, process ids and status codes ("HTTP/1.1 500"), not people
        if sum(ch.isdigit() for ch in m.raw_string) >= MIN_PERSONAL_DIGITS
    ]
    for start, end in reversed(spans):
        text = text[:start] + PHONE + text[end:]
    return text


def redact(text: str) -> str:
    pattern, replacement = EMAIL
    text = pattern.sub(replacement, text)
    text = _mask_phone_numbers(text)
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_record(record: logging.LogRecord) -> None:
    """Mask the record's message, traceback and stack text in place."""
    if getattr(record, "_pii_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken record is logged as it is
        return
    record.msg = redact(message)
    record.args = ()
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redact(text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._pii_redacted = True  # type: ignore[attr-defined]


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _previous_factory is not None
    record = _previous_factory(*args, **kwargs)
    redact_record(record)
    return record


class PiiFilter(logging.Filter):
    """The same masking as a filter, for handlers that receive records made elsewhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_pii_filter() -> None:
    """Mask personal data in every record this process logs (idempotent)."""
    global _previous_factory
    current = logging.getLogRecordFactory()
    if current is not _redacting_factory:
        _previous_factory = current
        logging.setLogRecordFactory(_redacting_factory)
    pii = PiiFilter()
    root = logging.getLogger()
    if not any(isinstance(f, PiiFilter) for f in root.filters):
        root.addFilter(pii)
    for handler in root.handlers:
        if not any(isinstance(f, PiiFilter) for f in handler.filters):
            handler.addFilter(pii)


install = install_pii_filter


# Libraries' notices to their own developers (deprecations inside Rasa, TensorFlow, pyparsing,
# SQLAlchemy 2.0 hints, ten "Registered function" lines of rasa-sdk) hide the lines an operator
# needs at start-up. Rasa resets the warning filters while it starts, so the filter sits where
# warnings are shown, not in the filter list: a deprecation raised inside an installed library
# is dropped; every other warning, and every deprecation raised by our own code, is shown.
LIBRARY_NOTICES = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
# rasa-sdk's per-function "Registered function for ..." lines; Rasa's "Trying to load SpaCy
# model" (twice per start); their warnings still show
QUIET_LOGGERS = ("rasa_sdk.executor", "rasa.nlu.utils.spacy_utils")
_shown_before: Optional[Callable[..., Any]] = None


def _is_library(filename: str) -> bool:
    return "site-packages" in filename or "dist-packages" in filename


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    if issubclass(category, LIBRARY_NOTICES) and _is_library(str(filename)):
        return
    assert _shown_before is not None
    _shown_before(message, category, filename, lineno, file, line)


def quiet_library_notices() -> None:
    """Hide libraries' deprecation notices and per-function registration lines (idempotent)."""
    global _shown_before
    import warnings

    if warnings.showwarning is not _show_warning:
        _shown_before = warnings.showwarning
        warnings.showwarning = _show_warning
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
