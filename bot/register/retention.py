"""Retention as the policy says: delete what has outlived its time (counts, not contents)."""

from __future__ import annotations

from datetime import timedelta
from typing import Dict

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.register.models import Challenge, InboundMessage, OutboxMessage, utcnow

OUTBOX_BODY_DAYS = 30
INBOUND_IDS_DAYS = 7


def purge(s: Session, *, dry_run: bool = False) -> Dict[str, int]:
    now = utcnow()
    counts: Dict[str, int] = {}
    expired = Challenge.expires_at < now - timedelta(days=1)
    old_body = (OutboxMessage.created_at < now - timedelta(days=OUTBOX_BODY_DAYS)) & (
        OutboxMessage.body.isnot(None)
    )
    old_inbound = InboundMessage.seen_at < now - timedelta(days=INBOUND_IDS_DAYS)
    counts["expired verification challenges"] = s.execute(
        select(func.count()).select_from(Challenge).where(expired)
    ).scalar_one()
    counts["outbox message bodies"] = s.execute(
        select(func.count()).select_from(OutboxMessage).where(old_body)
    ).scalar_one()
    counts["inbound message ids"] = s.execute(
        select(func.count()).select_from(InboundMessage).where(old_inbound)
    ).scalar_one()
    if not dry_run:
        s.execute(delete(Challenge).where(expired))
        s.execute(update(OutboxMessage).where(old_body).values(body=None))
        s.execute(delete(InboundMessage).where(old_inbound))
    return counts
