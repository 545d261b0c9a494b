"""Retention and erasure of conversations in the SQL tracker store.

Rasa's tracker store has no delete, so this module deletes rows of its ``events`` table
directly (SQLAlchemy Core, reflected table): whole conversations whose last event is older
than the retention period, and the conversations of a customer who is erased.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import sqlalchemy as sa

from bot.config import load_settings


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    events: int


def _engine(url: Optional[str]) -> sa.engine.Engine:
    return sa.create_engine(url or load_settings().tracker_store_url, future=True)


def _events(engine: sa.engine.Engine) -> Optional[sa.Table]:
    meta = sa.MetaData()
    try:
        return sa.Table("events", meta, autoload_with=engine)
    except sa.exc.NoSuchTableError:
        return None


def purge_old_conversations(
    older_than_days: Optional[int] = None,
    *,
    url: Optional[str] = None,
    now: Optional[float] = None,
    dry_run: bool = False,
) -> PurgeResult:
    """Delete every conversation whose newest event is older than the retention period."""
    days = (
        older_than_days
        if older_than_days is not None
        else (load_settings().conversation_retention_days)
    )
    cutoff = (now if now is not None else time.time()) - days * 86400
    engine = _engine(url)
    events = _events(engine)
    if events is None:
        return PurgeResult(0, 0)
    stale = (
        sa.select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(sa.func.max(events.c.timestamp) < cutoff)
    )
    with engine.begin() as conn:
        senders = [row[0] for row in conn.execute(stale)]
        return _delete(conn, events, senders, dry_run)


def phone_patterns(e164: str) -> list[str]:
    """Ways a Norwegian number may have been typed in a chat (+4797527747, 975 27 747, ...)."""
    digits = re.sub(r"\D", "", e164)
    national = digits[2:] if digits.startswith("47") and len(digits) == 10 else digits
    patterns = {e164, national}
    if len(national) == 8:
        patterns |= {
            f"{national[:3]} {national[3:5]} {national[5:]}",
            f"{national[:2]} {national[2:4]} {national[4:6]} {national[6:]}",
            f"{national[:4]} {national[4:]}",
        }
    return sorted(patterns)


def erase_conversations(
    *,
    sender_ids: Iterable[str] = (),
    mentioning: Sequence[str] = (),
    url: Optional[str] = None,
    dry_run: bool = False,
) -> PurgeResult:
    """Delete the conversations with these sender ids, and every conversation in which one
    of the ``mentioning`` strings (e-mail address, phone number patterns) was written."""
    engine = _engine(url)
    events = _events(engine)
    if events is None:
        return PurgeResult(0, 0)
    senders = set(sender_ids)
    with engine.begin() as conn:
        for needle in (m for m in mentioning if m and len(m) >= 6):
            query = sa.select(events.c.sender_id).where(events.c.data.contains(needle)).distinct()
            senders.update(row[0] for row in conn.execute(query))
        return _delete(conn, events, sorted(senders), dry_run)


def _delete(conn: sa.engine.Connection, events: sa.Table, senders: list, dry_run: bool):
    if not senders:
        return PurgeResult(0, 0)
    count = 0
    for start in range(0, len(senders), 500):
        chunk = senders[start : start + 500]
        where = events.c.sender_id.in_(chunk)
        if dry_run:
            count += conn.execute(sa.select(sa.func.count()).where(where)).scalar_one()
        else:
            count += conn.execute(sa.delete(events).where(where)).rowcount
    return PurgeResult(len(senders), count)
