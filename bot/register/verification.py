"""One-time codes: 6 digits, 10 minutes, at most 5 tries, one new code a minute, hash only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.register.contacts import classify_contact
from bot.register.customers import find_by_contact
from bot.register.models import Challenge, utcnow

LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class ChallengeStart:
    challenge_id: str
    code: Optional[str]
    channel: Optional[str]
    destination: Optional[str]
    customer_id: Optional[int]


@dataclass(frozen=True)
class CheckResult:
    status: str  # ok | wrong | locked | expired | unknown
    customer_id: Optional[int] = None
    attempts_left: int = 0


def _hash(salt: str, code: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", code.encode(), salt.encode(), 100_000).hex()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def start_challenge(s: Session, *, conversation_id: str, identifier: str) -> ChallengeStart:
    now = utcnow()
    latest = s.execute(
        select(Challenge)
        .where(Challenge.conversation_id == conversation_id)
        .order_by(Challenge.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is not None and now - _aware(latest.created_at) < RESEND_AFTER:
        return ChallengeStart(latest.id, None, None, None, latest.customer_id)
    contact = classify_contact(identifier)
    customer = None
    if contact:
        kind, value = contact
        customer = (
            find_by_contact(s, email=value) if kind == "email" else find_by_contact(s, phone=value)
        )
    salt = secrets.token_hex(16)
    challenge = Challenge(
        id=uuid.uuid4().hex,
        conversation_id=conversation_id,
        customer_id=customer.id if customer else None,
        salt=salt,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    code = None
    channel = destination = None
    if customer is not None:
        code = f"{secrets.randbelow(10**6):06d}"
        challenge.code_hash = _hash(salt, code)
        # to the contact point the REGISTER holds, of the kind the customer named
        if contact[0] == "email" and customer.email:
            channel, destination = "email", customer.email
        elif customer.phone:
            channel, destination = "sms", customer.phone
        else:
            channel, destination = "email", customer.email
    s.add(challenge)
    s.flush()
    return ChallengeStart(challenge.id, code, channel, destination, challenge.customer_id)


def check_code(s: Session, challenge_id: str, code: str) -> CheckResult:
    challenge = (
        s.execute(
            select(Challenge).where(Challenge.id == str(challenge_id)).with_for_update()
        ).scalar_one_or_none()
        if challenge_id
        else None
    )
    if challenge is None:
        return CheckResult("unknown")
    if challenge.attempts >= MAX_ATTEMPTS:
        return CheckResult("locked")
    if utcnow() > _aware(challenge.expires_at) or challenge.used_at is not None:
        return CheckResult("expired")
    challenge.attempts += 1
    given = "".join(ch for ch in str(code) if ch.isdigit())
    if challenge.code_hash and hmac.compare_digest(
        challenge.code_hash, _hash(challenge.salt, given)
    ):
        challenge.used_at = utcnow()
        return CheckResult("ok", challenge.customer_id, MAX_ATTEMPTS - challenge.attempts)
    left = MAX_ATTEMPTS - challenge.attempts
    return CheckResult("locked" if left <= 0 else "wrong", None, max(left, 0))
