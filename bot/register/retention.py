"""Retention as the policy says: delete what has outlived its time (counts, not contents)."""

from __future__ import annotations

from datetime import timedelta
from typing import Dict

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.register.models import Challenge, CodeFailure, InboundMessage, OutboxMessage, utcnow

OUTBOX_BODY_DAYS = 30
INBOUND_IDS_DAYS = 7
CODE_FAILURE_DAYS = 2  # the lock-out counts 24 hours; a day more for staff to look


def purge(s: Session, *, dry_run: bool = False) -> Dict[str, int]:
    now = utcnow()
    counts: Dict[str, int] = {}
    expired = Challenge.expires_at < now - timedelta(days=1)
    old_body = (OutboxMessage.created_at < now - timedelta(days=OUTBOX_BODY_DAYS)) & (
        OutboxMessage.body.isnot(None)
    )
    old_inbound = InboundMessage.seen_at < now - timedelta(days=INBOUND_IDS_DAYS)
    old_failures = CodeFailure.at < now - timedelta(days=CODE_FAILURE_DAYS)
    counts["expired verification challenges"] = s.execute(
        select(func.count()).select_from(Challenge).where(expired)
    ).scalar_one()
    counts["outbox message bodies"] = s.execute(
        select(func.count()).select_from(OutboxMessage).where(old_body)
    ).scalar_one()
    counts["inbound message ids"] = s.execute(
        select(func.count()).select_from(InboundMessage).where(old_inbound)
    ).scalar_one()
    counts["wrong one-time codes"] = s.execute(
        select(func.count()).select_from(CodeFailure).where(old_failures)
    ).scalar_one()
    from bot.register.staff_accounts import purge_sessions

    counts["ended staff sessions"] = purge_sessions(s, now=now, dry_run=dry_run)
    if not dry_run:
        s.execute(delete(Challenge).where(expired))
        s.execute(update(OutboxMessage).where(old_body).values(body=None))
        s.execute(delete(InboundMessage).where(old_inbound))
        s.execute(delete(CodeFailure).where(old_failures))
        # a one-time code never delivered (no worker ran): useless after minutes, drop it
        stale_secret = OutboxMessage.secret.isnot(None) & (
            OutboxMessage.created_at < now - timedelta(hours=1)
        )
        s.execute(update(OutboxMessage).where(stale_secret).values(secret=None))
    return counts
