"""Retention and erasure of conversations in the SQL tracker store.

Rasa's tracker store has no delete, so this module deletes rows of its ``events`` table
directly (SQLAlchemy Core, reflected table): whole conversations whose last event is older
than the retention period, and the conversations of a customer who is erased.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence, Set

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


def has_events(url: Optional[str] = None) -> bool:
    """Does this tracker store exist with its ``events`` table (a store Rasa has used)?
    Never creates a database: a missing SQLite file is no tracker store."""
    from sqlalchemy.engine import make_url

    resolved = url or load_settings().tracker_store_url
    parsed = make_url(resolved)
    if parsed.get_backend_name() == "sqlite":
        from pathlib import Path

        if not parsed.database or not Path(parsed.database).exists():
            return False
    engine = _engine(resolved)
    try:
        return _events(engine) is not None
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


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
        groupings = (
            (national[:3], national[3:5], national[5:]),
            (national[:2], national[2:4], national[4:6], national[6:]),
            (national[:4], national[4:]),
        )
        patterns |= {sep.join(groups) for groups in groupings for sep in (" ", "-", ".")}
    return sorted(patterns)


_EMAIL_TOKEN = re.compile(r"[\w.+\-%]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}")
_PHONE_TOKEN = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d \-.]{6,15}\d(?!\w)")


def _contacts_in(value: object, found: Optional[Set[str]] = None) -> Set[str]:
    """Every e-mail address (lower-case) and Norwegian phone number (E.164) written anywhere
    in an event (text, slots, entities, metadata), as whole tokens."""
    from bot.register.contacts import normalize_email, normalize_phone

    found = set() if found is None else found
    if isinstance(value, str):
        for token in _EMAIL_TOKEN.findall(value):
            email = normalize_email(token)
            if email:
                found.add(email)
        for token in _PHONE_TOKEN.findall(value):
            phone = normalize_phone(token)
            if phone:
                found.add(phone)
    elif isinstance(value, dict):
        for item in value.values():
            _contacts_in(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _contacts_in(item, found)
    return found


def _wanted(emails: Iterable[str], phones: Iterable[str], mentioning: Sequence[str]) -> Set[str]:
    from bot.register.contacts import classify_contact

    wanted: Set[str] = set()
    for raw in [*emails, *phones, *mentioning]:
        found = classify_contact(raw or "")
        if found:
            wanted.add(found[1])
    return wanted


def erase_conversations(
    *,
    sender_ids: Iterable[str] = (),
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    mentioning: Sequence[str] = (),
    phrases: Sequence[str] = (),
    url: Optional[str] = None,
    dry_run: bool = False,
) -> PurgeResult:
    """Delete the conversations with these sender ids, and every conversation in which one of
    these e-mail addresses or phone numbers was written (``mentioning`` takes either kind),
    or one of ``phrases`` (a name, a street address: case-insensitive, whole words).

    Matching is exact: the database only narrows the candidates (an escaped, case-insensitive
    substring search, so ``_`` or ``%`` in an address match only themselves), and each
    candidate is kept only if one of its events holds the same address (case-insensitive)
    or the same number (in any spelling) as a whole token."""
    engine = _engine(url)
    events = _events(engine)
    if events is None:
        return PurgeResult(0, 0)
    senders = set(sender_ids)
    wanted = _wanted(emails, phones, mentioning)
    needles: Set[str] = set()
    for contact in wanted:
        needles |= {contact} if "@" in contact else set(phone_patterns(contact))
    data = sa.func.lower(events.c.data)
    with engine.begin() as conn:
        for needle in sorted(needles):
            query = sa.select(events.c.sender_id, events.c.data).where(
                data.contains(needle.lower(), autoescape=True)
            )
            for sender, raw in conn.execute(query):
                if sender in senders:
                    continue
                try:
                    event = json.loads(raw)
                except (TypeError, ValueError):
                    continue
                if _contacts_in(event) & wanted:
                    senders.add(sender)
        for phrase, pattern in _phrase_patterns(phrases):
            # the events are JSON: a name with æøå may be stored as \u00e6 escapes
            escaped = json.dumps(phrase)[1:-1].lower()
            query = sa.select(events.c.sender_id, events.c.data).where(
                sa.or_(
                    data.contains(phrase.lower(), autoescape=True),
                    data.contains(escaped, autoescape=True),
                )
            )
            for sender, raw in conn.execute(query):
                if sender in senders:
                    continue
                try:
                    event = json.loads(raw)
                except (TypeError, ValueError):
                    continue
                if any(pattern.search(text) for text in _strings_in(event)):
                    senders.add(sender)
        return _delete(conn, events, sorted(senders), dry_run)


def _phrase_patterns(phrases: Sequence[str]) -> list:
    found = []
    for phrase in phrases:
        words = (phrase or "").split()
        if not words or len(" ".join(words)) < 4:
            continue  # too short to name a person
        body = r"\s+".join(re.escape(w) for w in words)
        found.append((" ".join(words), re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)))
    return found


def _strings_in(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings_in(item)


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
