"""What staff are told: an alert on every new ticket, and the daily digest of tickets due
within seven days or overdue (``klbot requests remind``).

Both go through the outbox (``record_notification``) in the caller's transaction, so an
alert exists exactly when its ticket does. One alert per ticket: to ``KLBOT_STAFF_EMAIL``
when set, else by SMS to ``KLBOT_STAFF_PHONE``; with neither set nothing is queued.

The digest remembers a fingerprint of what it said (the Oslo date, and each ticket's
reference, state and due date) in the audit log; a second run with the same state sends
nothing, so the timer may run it as often as it likes.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import get_settings
from bot.register import audit, wording
from bot.register.contacts import normalize_email, normalize_phone
from bot.register.models import OPEN_STATUSES, AuditEntry, PrivacyRequest, utcnow
from bot.register.outbox import record_notification
from bot.register.sql import serialize_on

logger = logging.getLogger(__name__)

REMIND_WITHIN = timedelta(days=7)
DIGEST_MAX_LINES = {"email": 20, "sms": 3}  # by SMS: the counts, the nearest three, the command


def staff_contact() -> Optional[Tuple[str, str]]:
    """Where staff are alerted: ``("email", address)`` or ``("sms", +47...)``, or None."""
    settings = get_settings()
    email = normalize_email(settings.staff_email or "")
    if email:
        return "email", email
    phone = normalize_phone(settings.staff_phone or "")
    if phone:
        return "sms", phone
    return None


def ticket_link(reference: str) -> str:
    """The ticket's page in the staff inbox: no token; it leads to the login like any page."""
    return f"{get_settings().staff_url}/requests/{reference}"


def alert_new_ticket(s: Session, request: PrivacyRequest) -> bool:
    """Queue the one alert for a new ticket (in the ticket's own transaction)."""
    target = staff_contact()
    if target is None:
        logger.debug("No staff contact: no alert for a new ticket (said once at start-up)")
        return False
    from bot.register.inbox import possible_breach

    body = wording.staff_alert(
        reference=request.reference,
        kind=request.kind,
        channel=request.channel or "unknown",
        verified=bool(request.verified),
        due_at=request.due_at,
        status=request.status,
        link=ticket_link(request.reference),
        breach=possible_breach(request),
    )
    message = record_notification(s, channel=target[0], to=target[1], body=body)
    logger.info("Staff alert %s queued for request %s", message.id, request.id)
    return True


@dataclass
class Digest:
    overdue: List[PrivacyRequest] = field(default_factory=list)
    due_soon: List[PrivacyRequest] = field(default_factory=list)
    fingerprint: str = ""
    body: str = ""
    sent: bool = False
    reason: str = ""  # why nothing was sent: "nothing due", "already sent", "no staff contact"

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_soon)


def _line(request: PrivacyRequest, now: datetime) -> str:
    kind = wording.KIND_TEXT.get(request.kind, request.kind)
    state = {"received": "ubekreftet", "verified": "bekreftet", "in_progress": "pågår"}.get(
        request.status, request.status
    )
    return f"{request.reference} {kind} ({state}): frist {wording.due_text(request.due_at, now)}"


def digest_body(
    overdue: List[PrivacyRequest],
    due_soon: List[PrivacyRequest],
    now: datetime,
    max_lines: int = DIGEST_MAX_LINES["email"],
) -> str:
    parts = [f"Personvern: {len(overdue)} over fristen, {len(due_soon)} med frist innen 7 dager."]
    lines = [_line(r, now) for r in [*overdue, *due_soon]]
    parts += lines[:max_lines]
    if len(lines) > max_lines:
        parts.append(f"… og {len(lines) - max_lines} til.")
    parts.append(f"Se alle: {get_settings().staff_url}/")
    return "\n".join(parts)


def fingerprint(
    overdue: List[PrivacyRequest], due_soon: List[PrivacyRequest], now: datetime
) -> str:
    state = [wording.oslo_day(now).isoformat()]
    state += [
        f"{r.reference}|{r.status}|{r.due_at.isoformat()}|{int(r in overdue)}"
        for r in [*overdue, *due_soon]
    ]
    return hashlib.sha256("\n".join(state).encode("utf-8")).hexdigest()[:40]


def due_tickets(s: Session, now: datetime) -> Tuple[List[PrivacyRequest], List[PrivacyRequest]]:
    """Open tickets overdue, and open tickets due within seven days (nearest first)."""
    rows = list(
        s.execute(
            select(PrivacyRequest)
            .where(
                PrivacyRequest.status.in_(OPEN_STATUSES),
                PrivacyRequest.due_at < now + REMIND_WITHIN,
            )
            .order_by(PrivacyRequest.due_at, PrivacyRequest.id)
        ).scalars()
    )
    return [r for r in rows if r.due_at < now], [r for r in rows if r.due_at >= now]


def remind(s: Session, *, now: Optional[datetime] = None, dry_run: bool = False) -> Digest:
    """Queue one digest for staff unless the same state was already sent."""
    now = now or utcnow()
    serialize_on(s, "klbot:remind")
    overdue, due_soon = due_tickets(s, now)
    digest = Digest(overdue=overdue, due_soon=due_soon)
    if digest.empty:
        digest.reason = "nothing due"
        return digest
    target = staff_contact()
    digest.fingerprint = fingerprint(overdue, due_soon, now)
    digest.body = digest_body(
        overdue, due_soon, now, DIGEST_MAX_LINES.get(target[0] if target else "email", 20)
    )
    seen = s.execute(
        select(AuditEntry.id).where(
            AuditEntry.action == "remind",
            AuditEntry.entity == "digest",
            AuditEntry.entity_id == digest.fingerprint,
        )
    ).first()
    if seen:
        digest.reason = "already sent"
        return digest
    if target is None:
        digest.reason = "no staff contact"
        return digest
    if dry_run:
        digest.reason = "dry run"
        return digest
    record_notification(s, channel=target[0], to=target[1], body=digest.body)
    audit.record(
        s,
        actor="klbot remind",
        action="remind",
        entity="digest",
        entity_id=digest.fingerprint,
        changes={"overdue": len(overdue), "due_soon": len(due_soon)},
    )
    digest.sent = True
    logger.info("Digest queued (%d overdue, %d due soon)", len(overdue), len(due_soon))
    return digest
