"""Customer text printed by ``klbot`` is inert: no terminal control sequence, no Rich markup.

A customer can write anything into a complaint or a correction. Printed raw, an escape
sequence (ESC, or the 8-bit CSI) could rewrite the staff member's terminal, and Rich would
run ``[link=...]`` or ``[bold]`` as markup. ``plain`` drops control characters (newlines and
tabs become spaces); tables take ``cell`` (a Rich ``Text``, never parsed as markup).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rich.text import Text


def plain(value: Any) -> str:
    text = "" if value is None else str(value)
    out = []
    for ch in text:
        if ch in "\n\t\r":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf") and ch != "\u200d":
            continue
        else:
            out.append(ch)
    return "".join(out)


def cell(value: Any) -> Text:
    return Text(plain(value))


# C0 and C1 control characters (ESC, OSC 8 hyperlinks, ...) and bidirectional overrides:
# customer-written text shows them as visible escapes instead of acting on the terminal
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def inert(value: Any) -> str:
    """Customer-written text made inert for a terminal (``\\x1b``, ``\\u202e``)."""
    text = "" if value is None else str(value)
    return _UNSAFE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
