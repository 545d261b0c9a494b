"""One-time codes: 6 digits, 10 minutes, at most 5 tries per code, hash only, and limits
that the register keeps per contact point and per customer (so they hold across
conversations, channels and instances):

- at most 3 codes per contact point an hour and 10 a day, counted whether or not the
  contact point is a customer's (a limited unknown contact point looks like a limited known
  one); a customer's contact points together get no more than that either;
- after 10 wrong codes for one contact point in 24 hours no code for that contact point
  verifies until the 24 hours have passed or staff run ``klbot customers unlock NUMBER``.
  The lock is per contact point, never per customer: another contact point of the same
  customer answers exactly as a stranger's does (otherwise one known contact point tells
  whether an e-mail belongs to the same person, and locks the person out everywhere). When
  a lock happens staff are alerted (no personal data in the alert);
- one new code a minute per conversation.

Known and unknown contact points cost the same: a code is drawn and hashed on both paths,
and a code is checked against a hash on both paths. These functions take a Session and
never commit; the use cases in ``bot.register.identity`` own the transactions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional, Tuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.register.contacts import classify_contact
from bot.register.lookup import find_by_contact
from bot.register.models import Challenge, CodeFailure, Customer, utcnow

LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
CODES_PER_HOUR = 3
CODES_PER_DAY = 10
WRONG_CODES_PER_DAY = 10
LOCK_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class ChallengeStart:
    challenge_id: Optional[str]
    code: Optional[str]
    channel: Optional[str]
    destination: Optional[str]
    customer_id: Optional[int]
    state: str = "sent"  # sent | wait (same conversation, within a minute) | limited


@dataclass(frozen=True)
class CheckResult:
    status: str  # ok | wrong | locked | expired | unknown
    customer_id: Optional[int] = None
    attempts_left: int = 0


def _hash(salt: str, code: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", code.encode(), salt.encode(), 100_000).hex()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def contact_hash(kind: str, value: str) -> str:
    """A stable key for a normalised contact point (``sms``/``email``), so limits can be
    counted without keeping an unknown person's phone or address in clear."""
    return hashlib.sha256(f"klbot-contact:{kind}:{value}".encode()).hexdigest()


def customer_contact_hashes(customer: Customer) -> Tuple[str, ...]:
    hashes = []
    if customer.phone:
        hashes.append(contact_hash("sms", customer.phone))
    if customer.email:
        hashes.append(contact_hash("email", customer.email.lower()))
    return tuple(hashes)


def _codes_since(s: Session, where, since: datetime) -> int:
    return s.execute(
        select(func.count()).select_from(Challenge).where(where, Challenge.created_at >= since)
    ).scalar_one()


def _over_code_limit(s: Session, where, now: datetime) -> bool:
    return (
        _codes_since(s, where, now - timedelta(hours=1)) >= CODES_PER_HOUR
        or _codes_since(s, where, now - timedelta(days=1)) >= CODES_PER_DAY
    )


def wrong_codes(
    s: Session, *, customer_id: Optional[int] = None, key: Optional[str], now: datetime
) -> int:
    """Wrong codes in the last 24 h for this contact point (``key``; a key nobody has
    stands in for a missing one, so every path runs the same query). ``customer_id`` is
    not counted: a lock never spreads to the customer's other contact points."""
    return s.execute(
        select(func.count())
        .select_from(CodeFailure)
        .where(
            CodeFailure.contact_hash == (key or "-"),
            CodeFailure.cleared_at.is_(None),
            CodeFailure.at >= now - LOCK_WINDOW,
        )
    ).scalar_one()


def is_locked(s: Session, *, customer_id: Optional[int], key: Optional[str]) -> bool:
    return wrong_codes(s, customer_id=customer_id, key=key, now=utcnow()) >= WRONG_CODES_PER_DAY


def start_challenge(s: Session, *, conversation_id: str, identifier: str) -> ChallengeStart:
    """A new challenge for ``identifier`` (the code is returned only when one may be sent).

    ``state``: ``wait`` (this conversation got a code less than a minute ago: the same
    challenge again), ``limited`` (this contact point has had its codes for the hour or the
    day: no challenge), or ``sent`` (a challenge; a code only for a customer within limits).
    """
    now = utcnow()
    latest = s.execute(
        select(Challenge)
        .where(Challenge.conversation_id == conversation_id)
        .order_by(Challenge.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is not None and now - _aware(latest.created_at) < RESEND_AFTER:
        return ChallengeStart(latest.id, None, None, None, latest.customer_id, "wait")
    contact = classify_contact(identifier)
    key = contact_hash(*contact) if contact else None
    if key is not None and _over_code_limit(s, Challenge.contact_hash == key, now):
        return ChallengeStart(None, None, None, None, None, "limited")
    customer = None
    if contact:
        kind, value = contact
        customer = (
            find_by_contact(s, email=value) if kind == "email" else find_by_contact(s, phone=value)
        )
    salt = secrets.token_hex(16)
    # the same work whoever it is: a code is drawn and hashed on every path
    code = f"{secrets.randbelow(10**6):06d}"
    code_hash = _hash(salt, code)
    challenge = Challenge(
        id=uuid.uuid4().hex,
        conversation_id=conversation_id,
        customer_id=customer.id if customer else None,
        salt=salt,
        created_at=now,
        expires_at=now + LIFETIME,
        contact_hash=key,
    )
    channel = destination = None
    # the customer's contact points together stay within the limits too, and a locked
    # customer gets no codes; neither shows in the reply (it looks like a code was sent).
    # The same queries run for an unknown contact point (with an id no customer has).
    owner = customer.id if customer is not None else -1
    held_back = (
        _over_code_limit(s, Challenge.customer_id == owner, now)
        or wrong_codes(s, customer_id=owner, key=key, now=now) >= WRONG_CODES_PER_DAY
    )
    sendable = customer is not None and not held_back
    if sendable:
        challenge.code_hash = code_hash
        # to the contact point the REGISTER holds, of the kind the customer named
        if contact[0] == "email" and customer.email:
            channel, destination = "email", customer.email
        elif customer.phone:
            channel, destination = "sms", customer.phone
        else:
            channel, destination = "email", customer.email
    s.add(challenge)
    s.flush()
    return ChallengeStart(
        challenge.id,
        code if sendable else None,
        channel,
        destination,
        challenge.customer_id,
        "sent",
    )


def check_code(
    s: Session, challenge_id: str, code: str, *, conversation_id: Optional[str] = None
) -> CheckResult:
    """Check ``code`` against the challenge (of ``conversation_id``, when given)."""
    challenge = None
    if challenge_id:
        query = select(Challenge).where(Challenge.id == str(challenge_id))
        if conversation_id is not None:
            query = query.where(Challenge.conversation_id == conversation_id)
        challenge = s.execute(query.with_for_update()).scalar_one_or_none()
    given = "".join(ch for ch in str(code) if ch.isdigit())
    # the same hashing work whether or not there is a code to match
    given_hash = _hash(challenge.salt if challenge is not None else "0" * 32, given)
    if challenge is None:
        return CheckResult("unknown")
    now = utcnow()
    key, customer_id = challenge.contact_hash, challenge.customer_id
    if wrong_codes(s, customer_id=customer_id, key=key, now=now) >= WRONG_CODES_PER_DAY:
        return CheckResult("locked")
    if challenge.attempts >= MAX_ATTEMPTS:
        return CheckResult("locked")
    if now > _aware(challenge.expires_at) or challenge.used_at is not None:
        return CheckResult("expired")
    challenge.attempts += 1
    if challenge.code_hash and hmac.compare_digest(challenge.code_hash, given_hash):
        challenge.used_at = now
        return CheckResult("ok", challenge.customer_id, MAX_ATTEMPTS - challenge.attempts)
    s.add(CodeFailure(at=now, contact_hash=key, customer_id=customer_id))
    s.flush()
    failures = wrong_codes(s, customer_id=customer_id, key=key, now=now)
    if failures >= WRONG_CODES_PER_DAY:
        if failures == WRONG_CODES_PER_DAY and key:
            lock_happened(s, customer_id)
        return CheckResult("locked")
    left = MAX_ATTEMPTS - challenge.attempts
    return CheckResult("locked" if left <= 0 else "wrong", None, max(left, 0))


def lock_happened(s: Session, customer_id: Optional[int]) -> None:
    """A contact point just got its tenth wrong code: staff are told (no personal data in
    the alert; the audit log keeps which customer, if any, for ``klbot``)."""
    from bot.register import audit, staff  # staff imports the outbox; keep this module light

    audit.record(
        s,
        actor="assistant",
        action="lock",
        entity="customer",
        entity_id=customer_id if customer_id is not None else "unknown",
        reason=f"{WRONG_CODES_PER_DAY} wrong one-time codes for one contact point in 24 hours",
    )
    staff.alert_lockout(s)


def unlock(s: Session, customer: Customer) -> int:
    """Clear the wrong codes counted against this customer and its contact points."""
    hashes = customer_contact_hashes(customer)
    where = [CodeFailure.customer_id == customer.id]
    if hashes:
        where.append(CodeFailure.contact_hash.in_(hashes))
    result = s.execute(
        update(CodeFailure)
        .where(or_(*where), CodeFailure.cleared_at.is_(None))
        .values(cleared_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
