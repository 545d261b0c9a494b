"""CSV that a spreadsheet opens as data: no cell runs as a formula.

Excel, LibreOffice and Google Sheets run a cell that begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return (OWASP "CSV injection"). A customer's text that begins so gets a
leading apostrophe, which spreadsheets show as text and hide. The one place for every CSV
export that may hold what a person wrote (the suppression list, reports).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable, List

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# a phone number in E.164 (the register's form) is data, not a formula: the marketing tool
# must get it as it is
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if E164.fullmatch(text):
        return text
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(header: List[str], rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()
