"""Small helpers shared by the channels (no Rasa or register imports here)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import re
from typing import Any, Callable, List, Optional, Tuple, TypeVar

T = TypeVar("T")

logger = logging.getLogger(__name__)


async def run_sync(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking work (the register's SQL) in a worker thread, off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(func, *args, **kwargs))


def conversation_id(prefix: str, external_id: str, key: str) -> str:
    """A stable conversation id for a channel user that no other caller can guess.

    Rasa keys conversations by sender id, and the REST channel lets its caller name any
    sender. If an SMS conversation were keyed by the phone number, a REST caller could write
    into it (and read its slots' effects). A keyed hash of the channel's own id, with the
    channel's secret as key, is stable for the channel and useless to anyone else; it also
    keeps phone numbers out of conversation ids and logs.
    """
    digest = hmac.new(key.encode(), external_id.encode(), hashlib.sha256).hexdigest()
    return f"{prefix}-{digest[:32]}"


def secrets_equal(given: Optional[str], expected: str) -> bool:
    """Constant-time comparison of a secret from a request with the configured one."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+")


def split_text(text: str, limit: int) -> List[str]:
    """Split ``text`` into parts of at most ``limit`` characters.

    Paragraphs first, then sentences, then words; a single word longer than the limit is cut.
    Neighbouring pieces are joined again so that no more parts are sent than needed.
    """
    pieces: List[Tuple[str, str]] = []  # (separator before the piece, piece)
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        separator = "\n\n"
        for sentence in _SENTENCE_END.split(paragraph) if len(paragraph) > limit else [paragraph]:
            for piece in _words_within(sentence, limit):
                pieces.append((separator, piece))
                separator = " "
    parts: List[str] = []
    for separator, piece in pieces:
        if parts and len(parts[-1]) + len(separator) + len(piece) <= limit:
            parts[-1] = parts[-1] + separator + piece
        else:
            parts.append(piece)
    return parts


def _words_within(sentence: str, limit: int) -> List[str]:
    if len(sentence) <= limit:
        return [sentence]
    out: List[str] = []
    current = ""
    for word in sentence.split():
        while len(word) > limit:
            if current:
                out.append(current)
                current = ""
            out.append(word[:limit])
            word = word[limit:]
        if not word:
            continue
        if current and len(current) + 1 + len(word) > limit:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out


class OffSwitch:
    """Says once, at startup, that a channel is off because its credentials are missing."""

    def __init__(self, channel: str, missing: List[str]) -> None:
        self.channel = channel
        self.missing = missing
        if missing:
            logger.warning(
                "Channel %s is OFF: %s not set (its webhook answers 404 'channel not "
                "configured'). Set the variable(s) in the environment or .env to turn it on.",
                channel,
                ", ".join(missing),
            )
        else:
            logger.info("Channel %s is on.", channel)

    @property
    def off(self) -> bool:
        return bool(self.missing)
