"""No personal data in logs: a filter that masks e-mail addresses, phone numbers and codes."""

from __future__ import annotations

import logging
import re

PATTERNS = [
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), "<e-post>"),
    (re.compile(r"(?<![\w-])(?:\+|00)?(?:47[\s-]?)?(?:\d[\s-]?){7}\d(?![\w-])"), "<telefon>"),
    (re.compile(r"(?<![\w-])\d{6}(?![\w-])"), "<kode>"),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class PiiFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logged as it is
            return True
        record.msg = redact(message)
        record.args = ()
        return True


def install_pii_filter() -> None:
    """Attach the filter to every handler of the root logger (and to the root itself)."""
    pii = PiiFilter()
    root = logging.getLogger()
    if not any(isinstance(f, PiiFilter) for f in root.filters):
        root.addFilter(pii)
    for handler in root.handlers:
        if not any(isinstance(f, PiiFilter) for f in handler.filters):
            handler.addFilter(pii)


install = install_pii_filter
