"""Customer text printed by ``klbot`` is inert: no terminal control sequence, no Rich markup.

A customer can write anything into a complaint or a correction. Printed raw, an escape
sequence (ESC, or the 8-bit CSI) could rewrite the staff member's terminal, and Rich would
run ``[link=...]`` or ``[bold]`` as markup. ``plain`` drops control characters (newlines and
tabs become spaces); tables take ``cell`` (a Rich ``Text``, never parsed as markup).
"""

from __future__ import annotations

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
