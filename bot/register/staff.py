"""What staff are told: an alert on every new ticket, and the daily digest of tickets due
within seven days or overdue (``klbot requests remind``).

Both go through the outbox (``record_notification``) in the caller's transaction, so an
alert exists exactly when its ticket does: to ``KLBOT_STAFF_EMAIL`` when set, else by SMS to
``KLBOT_STAFF_PHONE``; with neither set nothing is queued. Alerts are batched so that a
flood (complaints, opt-outs, lock-outs) cannot flood staff or run up an SMS bill: the first
one in ``ALERT_EVERY`` goes at once with the ticket's reference; everything after it in that
window is counted into ONE message held until the window ends (``next_attempt_at``), whose
body says how many new tickets and locks there were.

The digest remembers a fingerprint of what it said (the Oslo date, and each ticket's
reference, state and due date) in the audit log; a second run with the same state sends
nothing, so the timer may run it as often as it likes.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import get_settings
from bot.register import audit, wording
from bot.register.contacts import normalize_email, normalize_phone
from bot.register.models import OPEN_STATUSES, AuditEntry, OutboxMessage, PrivacyRequest, utcnow
from bot.register.outbox import record_notification
from bot.register.sql import serialize_on

logger = logging.getLogger(__name__)

REMIND_WITHIN = timedelta(days=7)
ALERT_EVERY = timedelta(minutes=5)  # the default of KLBOT_STAFF_ALERT_EVERY


def alert_every() -> timedelta:
    return timedelta(seconds=max(0, get_settings().staff_alert_every_seconds))


ALERT = "staff_alert"  # the outbox purpose of an alert sent at once
ALERT_BATCH = "staff_alert_batch"  # ... and of the one that counts the rest of the window
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
    message = _batched(s, target, body)
    logger.info("Staff alert %s queued for request %s", message.id, request.id)
    return True


def _batched(s: Session, target: Tuple[str, str], body: str) -> OutboxMessage:
    """At most one staff message per ``ALERT_EVERY``: ``body`` at once when none went out
    in the window, else the window's one batch message, (re)counted."""
    every = alert_every()
    if not every:
        return record_notification(s, channel=target[0], to=target[1], body=body, purpose=ALERT)
    serialize_on(s, "klbot:staff-alert")
    now = utcnow()
    first = s.execute(
        select(OutboxMessage)
        .where(
            OutboxMessage.purpose == ALERT,
            OutboxMessage.to == target[1],
            OutboxMessage.created_at >= now - every,
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if first is None:
        return record_notification(s, channel=target[0], to=target[1], body=body, purpose=ALERT)
    since = first.created_at
    tickets = s.execute(
        select(func.count()).select_from(PrivacyRequest).where(PrivacyRequest.created_at > since)
    ).scalar_one()
    locks = s.execute(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "lock", AuditEntry.at > since)
    ).scalar_one()
    text = batch_body(tickets, locks)
    batch = s.execute(
        select(OutboxMessage)
        .where(
            OutboxMessage.purpose == ALERT_BATCH,
            OutboxMessage.to == target[1],
            OutboxMessage.created_at > since,
            OutboxMessage.status.in_(("queued", "recorded")),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if batch is not None:
        batch.body = text
        s.flush()
        return batch
    batch = record_notification(s, channel=target[0], to=target[1], body=text, purpose=ALERT_BATCH)
    batch.next_attempt_at = _aware(since) + every  # held to the end of the window
    s.flush()
    return batch


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def batch_body(tickets: int, locks: int = 0) -> str:
    """The window's one message: counts only (no reference, no personal data)."""
    parts = []
    if tickets:
        parts.append(f"{tickets} nye personvernsaker")
    if locks:
        parts.append(f"{locks} kontaktpunkt sperret etter for mange feil koder")
    what = " og ".join(parts) or "nye hendelser"
    minutes = max(1, int(alert_every().total_seconds() // 60))
    return (
        f"Samlet varsel: {what} de siste {minutes} minuttene "
        f"(samlet i én melding). Se sakene: {get_settings().staff_url}/"
    )


LOCKOUT_ALERT = (
    "Sperret kontaktpunkt: et kontaktpunkt er sperret for engangskoder i 24 timer etter "
    "{count} feil koder (noen kan prøve å gjette koder, eller stenge en kunde ute). "
    "Kunden kan ikke bekrefte seg i chatten så lenge. Ringer kunden: klbot customers "
    "unlock KUNDENUMMER."
)


def alert_lockout(s: Session) -> bool:
    """Tell staff that a contact point was locked after too many wrong codes (no personal
    data: which customer is in the audit log)."""
    from bot.register.verification import WRONG_CODES_PER_DAY

    target = staff_contact()
    if target is None:
        return False
    body = LOCKOUT_ALERT.format(count=WRONG_CODES_PER_DAY)
    message = _batched(s, target, body)
    logger.info("Staff alert %s queued: a contact point was locked", message.id)
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
