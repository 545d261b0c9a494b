"""Rights requests (tickets): reference, due date one month after receipt, lifecycle.

Lifecycle: received -> verified -> in_progress -> done | rejected (rejected also from
received and verified; verified -> done when staff say so, ``force``). An opt-out is
recorded as done at once. Every new ticket queues one alert to staff in its own
transaction; a repeated request of a kind already open attaches to that ticket instead
(``attempts``) only when it means the same thing: a verified request to the same person's
open VERIFIED ticket, an unverified one to an unverified ticket from the same contact point
written in the same conversation. Anything else is a ticket of its own, linked to the other
in the background (``duplicates``): a verified request never adopts a stranger's unverified
ticket (its text, its conversation), and an unproven conversation never learns another
conversation's reference. When staff close a
ticket, the customer is told on the channel the request came from. GDPR Art. 12(3): the answer
is due one month after receipt; staff may extend by two further months, once, with a reason
(which the customer must be told within the first month).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.register import audit, staff, wording
from bot.register.contacts import classify_contact
from bot.register.db import session_scope
from bot.register.lookup import find_customer
from bot.register.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    REQUEST_KINDS,
    STATUSES,
    AuditEntry,
    Customer,
    PrivacyRequest,
    RequestStatus,
    language_of,
    utcnow,
)
from bot.register.outbox import record_notification
from bot.register.sql import serialize_on

logger = logging.getLogger(__name__)

OPEN = OPEN_STATUSES
S = RequestStatus
TRANSITIONS = {
    S.RECEIVED.value: {S.VERIFIED.value, S.REJECTED.value},
    S.VERIFIED.value: {S.IN_PROGRESS.value, S.REJECTED.value},
    S.IN_PROGRESS.value: {S.DONE.value, S.REJECTED.value},
    S.DONE.value: set(),
    S.REJECTED.value: set(),
}
assert set(TRANSITIONS) == set(STATUSES)
# what staff may do when they say so (``--force``): skip "in progress" on a verified ticket
FORCED_TRANSITIONS = {S.VERIFIED.value: {S.DONE.value}}
# where a closing notice can go (``reply_channel``); Telegram by chat id
REPLY_CHANNELS = ("sms", "email", "telegram")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: quotable on the phone
REFERENCE_LENGTH = 6
EXTENSION = relativedelta(months=2)


class RequestError(ValueError):
    pass


# kinds whose ticket is done only by the use case that does the work (the hint says which)
WORK_FIRST = {
    "correction": "a correction is done when its new value is in the register: "
    "run `klbot requests apply {reference}` (or reject it)",
    "restriction": "a restriction is done when its mark is on the customer: "
    "run `klbot requests mark {reference} --covers marketing,surveys,analyses|all`",
    "objection": "an objection is done when its mark is on the customer: "
    "run `klbot requests mark {reference} --covers marketing,surveys,analyses|all`",
    "erasure": "an erasure is done when every store is cleared: "
    "run `klbot customers erase NUMBER --request {reference}`",
}


def new_reference() -> str:
    """``PV-`` and six characters (32^6, about 10^9: unguessable enough to quote, not a key)."""
    return "PV-" + "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))


def due_date(received: datetime) -> datetime:
    """GDPR Art. 12(3): one month after receipt (31 January -> 28/29 February)."""
    return received + relativedelta(months=1)


def _unique_reference(s: Session) -> str:
    for _ in range(10):
        reference = new_reference()
        taken = s.execute(
            select(PrivacyRequest.id).where(PrivacyRequest.reference == reference)
        ).first()
        if not taken:
            return reference
    raise RuntimeError("could not find a free request reference")  # pragma: no cover


def create_request(
    s: Session,
    *,
    kind: str,
    channel: Optional[str],
    customer: Optional[Customer] = None,
    verified: bool = False,
    verification_method: Optional[str] = None,
    details: Optional[dict] = None,
    conversation_id: Optional[str] = None,
    status: Optional[str] = None,
    actor: str = "assistant",
    received_at: Optional[datetime] = None,
    reply_channel: Optional[str] = None,
    reply_to: Optional[str] = None,
    language: Optional[str] = None,
) -> PrivacyRequest:
    """Write a ticket: status ``verified`` when the identity was verified, else ``received``
    (``status="done"`` for what is done at once, an opt-out), and queue its staff alert."""
    if kind not in REQUEST_KINDS:
        raise RequestError(f"unknown request kind {kind!r}")
    status = status or ("verified" if verified else "received")
    if status not in STATUSES:
        raise RequestError(f"unknown status {status!r}")
    now = received_at or utcnow()
    request = PrivacyRequest(
        reference=_unique_reference(s),
        kind=kind,
        status=status,
        channel=channel or "unknown",
        verified=bool(verified),
        verification_method=verification_method if verified else None,
        customer_id=customer.id if customer is not None else None,
        conversation_id=conversation_id,
        details=dict(details or {}),
        created_at=now,
        due_at=due_date(now),
        closed_at=now if status in CLOSED_STATUSES else None,
        attempts=1,
        reply_channel=reply_channel if reply_channel in REPLY_CHANNELS and reply_to else None,
        reply_to=reply_to if reply_channel in REPLY_CHANNELS and reply_to else None,
        language=language_of(language),
    )
    if customer is not None:
        request.customer = customer
    s.add(request)
    s.flush()
    audit.record(
        s,
        actor=actor,
        action="create",
        entity="request",
        entity_id=request.reference,
        changes={
            "kind": kind,
            "status": request.status,
            "verified": request.verified,
            "language": request.language,
        },
    )
    staff.alert_new_ticket(s, request)
    return request


def _same_conversation(conversation_id: Optional[str]):
    if conversation_id is None:
        return PrivacyRequest.conversation_id.is_(None)
    return PrivacyRequest.conversation_id == conversation_id


def _open_of_kind(s: Session, kind: str, *where: Any, details: Optional[dict] = None):
    query = (
        select(PrivacyRequest)
        .where(PrivacyRequest.kind == kind, PrivacyRequest.status.in_(OPEN), *where)
        .order_by(PrivacyRequest.created_at, PrivacyRequest.id)
    )
    candidates = list(s.execute(query).scalars())
    if kind == "correction":
        # a correction of another field is another request
        field = (details or {}).get("field")
        candidates = [r for r in candidates if (r.details or {}).get("field") == field]
    return candidates


def find_open_duplicate(
    s: Session,
    *,
    kind: str,
    customer: Optional[Customer],
    verified: bool,
    reply_channel: Optional[str],
    reply_to: Optional[str],
    details: Optional[dict] = None,
    conversation_id: Optional[str] = None,
) -> Optional[PrivacyRequest]:
    """The open ticket a new request of ``kind`` is a repeat of: for a verified person, their
    open VERIFIED ticket of that kind (never an unverified one: anyone can write those in
    their name); unverified, an open unverified ticket of that kind from the same contact
    point and the same conversation (never another conversation's: its reference and
    deadline would be shown to whoever names the contact point)."""
    if verified and customer is not None:
        where = [PrivacyRequest.customer_id == customer.id, PrivacyRequest.verified.is_(True)]
    elif reply_channel and reply_to:
        where = [
            PrivacyRequest.verified.is_(False),
            PrivacyRequest.reply_channel == reply_channel,
            PrivacyRequest.reply_to == reply_to,
            _same_conversation(conversation_id),
        ]
    elif conversation_id:
        # no way to answer (an anonymous complaint): one open ticket per conversation
        where = [
            PrivacyRequest.verified.is_(False),
            PrivacyRequest.reply_channel.is_(None),
            PrivacyRequest.conversation_id == conversation_id,
        ]
    else:
        return None
    candidates = _open_of_kind(s, kind, *where, details=details)
    return candidates[0] if candidates else None


def open_unverified_of(
    s: Session,
    *,
    kind: str,
    customer: Optional[Customer],
    verified: bool,
    reply_channel: Optional[str],
    reply_to: Optional[str],
    details: Optional[dict] = None,
) -> List[PrivacyRequest]:
    """Open unverified tickets of ``kind`` that a new ticket may duplicate (for staff to
    see side by side): the verified person's, or those from the same contact point."""
    if verified and customer is not None:
        where = [PrivacyRequest.customer_id == customer.id]
    elif reply_channel and reply_to:
        where = [PrivacyRequest.reply_channel == reply_channel, PrivacyRequest.reply_to == reply_to]
    else:
        return []
    return _open_of_kind(s, kind, PrivacyRequest.verified.is_(False), *where, details=details)


def link_duplicates(
    s: Session, request: PrivacyRequest, others: List[PrivacyRequest], *, actor: str
) -> None:
    """Note on both sides that ``request`` may duplicate ``others`` (staff decide); nothing
    of the others' content is copied."""
    if not others:
        return
    refs = [r.reference for r in others]
    details = dict(request.details or {})
    details["possible_duplicates"] = refs
    request.details = details
    for other in others:
        theirs = dict(other.details or {})
        theirs["possible_duplicates"] = [*theirs.get("possible_duplicates", []), request.reference]
        other.details = theirs
        audit.record(
            s,
            actor=actor,
            action="link",
            entity="request",
            entity_id=other.reference,
            reason="a later ticket of the same kind for the same person or contact point",
            changes={"possible_duplicate": request.reference, "verified": request.verified},
        )


def attach_attempt(
    s: Session,
    request: PrivacyRequest,
    *,
    channel: Optional[str],
    verified: bool,
    verification_method: Optional[str],
    customer: Optional[Customer],
    details: Optional[dict] = None,
    actor: str = "assistant",
) -> PrivacyRequest:
    """Count a repeated request on the open ticket (``find_open_duplicate``: of the same
    verification); a second complaint's text is kept with the first. A repeat never changes
    whether the ticket is verified."""
    request.attempts = (request.attempts or 1) + 1
    changes: Dict[str, Any] = {"attempts": request.attempts, "channel": channel or "unknown"}
    new = details or {}
    merged = dict(request.details or {})
    if request.kind == "complaint" and new.get("about"):
        merged["about_more"] = [*merged.get("about_more", []), new["about"]]
    elif request.kind in ("restriction", "objection") and new.get("request_details"):
        merged["request_details_more"] = [
            *merged.get("request_details_more", []),
            new["request_details"],
        ]
    elif request.kind == "correction" and new.get("new_value"):
        merged["new_value"] = new["new_value"]  # the latest value asked for counts
    if merged != (request.details or {}):
        request.details = merged
        changes["fields"] = ["details"]
    if bool(verified) != bool(request.verified):
        raise RequestError("a repeat attaches only to a ticket of the same verification")
    audit.record(
        s,
        actor=actor,
        action="attempt",
        entity="request",
        entity_id=request.reference,
        reason="the same request again while the ticket is open",
        changes=changes,
    )
    return request


@dataclass(frozen=True)
class Submitted:
    """What the assistant needs after writing (or attaching to) a ticket: plain values."""

    reference: str
    kind: str
    due_at: datetime
    verified: bool
    attempts: int
    merged: bool
    customer_contact: Optional[Tuple[str, str]]  # where the register reaches the customer


def registered_contact(customer: Customer, identifier: Optional[str]) -> Optional[Tuple[str, str]]:
    """Where the register reaches this customer, preferring the identifier's kind."""
    email, phone = customer.email, customer.phone
    order = [("email", email), ("sms", phone)]
    if "@" not in (identifier or ""):
        order.reverse()
    return next(((channel, to) for channel, to in order if to), None)


def reply_route(
    *,
    channel: Optional[str],
    identifier: Optional[str],
    customer: Optional[Customer],
    verified: bool,
    proven_phone: Optional[str] = None,
    telegram_chat: Optional[str] = None,
) -> Tuple[Optional[str], Optional[str]]:
    """Where to tell the customer that the ticket is closed: on the channel the request came
    from (Telegram chat, the SMS sender), else the contact point the person gave (for a
    verified person, the one the register holds)."""
    if channel == "telegram" and telegram_chat:
        return "telegram", str(telegram_chat)
    if channel == "twilio_sms" and proven_phone:
        return "sms", proven_phone
    if verified and customer is not None:
        return registered_contact(customer, identifier) or (None, None)
    found = classify_contact(identifier or "")
    return found if found else (None, None)


def submit_request_in(
    s: Session,
    *,
    kind: str,
    channel: Optional[str],
    identifier: Optional[str],
    verified: bool,
    verification_method: Optional[str] = None,
    details: Optional[dict] = None,
    conversation_id: Optional[str] = None,
    proven_phone: Optional[str] = None,
    telegram_chat: Optional[str] = None,
    actor: str = "assistant",
    language: Optional[str] = None,
) -> Submitted:
    """A customer asks for X, inside the caller's transaction: find the person, attach to
    the open ticket of that kind or write a new one (which alerts staff)."""
    customer = find_customer(s, identifier) if identifier else None
    if customer is None and proven_phone:
        customer = find_customer(s, proven_phone)
    verified = bool(verified and customer is not None)
    reply_channel, reply_to = reply_route(
        channel=channel,
        identifier=identifier,
        customer=customer,
        verified=verified,
        proven_phone=proven_phone,
        telegram_chat=telegram_chat,
    )
    key = f"customer:{customer.id}" if verified and customer else f"{reply_channel}:{reply_to}"
    serialize_on(s, f"klbot:request:{kind}:{key}")
    existing = find_open_duplicate(
        s,
        kind=kind,
        customer=customer,
        verified=verified,
        reply_channel=reply_channel,
        reply_to=reply_to,
        details=details,
        conversation_id=conversation_id,
    )
    if existing is not None:
        request = attach_attempt(
            s,
            existing,
            channel=channel,
            verified=verified,
            verification_method=verification_method,
            customer=customer,
            details=details,
            actor=actor,
        )
        merged = True
    else:
        request = create_request(
            s,
            kind=kind,
            channel=channel,
            customer=customer,
            verified=verified,
            verification_method=verification_method if verified else None,
            details=details,
            conversation_id=conversation_id,
            actor=actor,
            reply_channel=reply_channel,
            reply_to=reply_to,
            language=language,
        )
        others = open_unverified_of(
            s,
            kind=kind,
            customer=customer,
            verified=verified,
            reply_channel=reply_channel,
            reply_to=reply_to,
            details=details,
        )
        link_duplicates(s, request, [r for r in others if r.id != request.id], actor=actor)
        merged = False
    logger.info(
        "Request %s %s (kind=%s, verified=%s, attempts=%d)",
        request.id,
        "attached" if merged else "written",
        kind,
        request.verified,
        request.attempts,
    )
    return Submitted(
        reference=request.reference,
        kind=kind,
        due_at=request.due_at,
        verified=bool(request.verified),
        attempts=request.attempts,
        merged=merged,
        customer_contact=registered_contact(customer, identifier) if customer else None,
    )


def submit_request(*, url: Optional[str] = None, **kwargs: Any) -> Submitted:
    """The use case "a customer asks for X", in one transaction (see ``submit_request_in``)."""
    with session_scope(url) as s:
        return submit_request_in(s, **kwargs)


def get_by_reference(s: Session, ref: str) -> Optional[PrivacyRequest]:
    ref = (ref or "").strip().upper()
    if ref and not ref.startswith("PV-"):
        ref = "PV-" + ref
    return s.execute(
        select(PrivacyRequest).where(PrivacyRequest.reference == ref)
    ).scalar_one_or_none()


def list_requests(
    s: Session,
    *,
    open_only: bool = False,
    overdue: bool = False,
    kind: Optional[str] = None,
    status: Optional[str] = None,
    customer_number: Optional[str] = None,
) -> List[PrivacyRequest]:
    """Every request (oldest first); ``open_only``/``overdue``: the work queue, nearest
    deadline first; ``kind``, ``status`` and ``customer_number`` narrow it."""
    query = select(PrivacyRequest).order_by(PrivacyRequest.id)
    if open_only or overdue:
        query = (
            select(PrivacyRequest)
            .where(PrivacyRequest.status.in_(OPEN))
            .order_by(PrivacyRequest.due_at, PrivacyRequest.id)
        )
    if overdue:
        query = query.where(PrivacyRequest.due_at < utcnow())
    if kind:
        query = query.where(PrivacyRequest.kind == kind)
    if status:
        query = query.where(PrivacyRequest.status == status)
    if customer_number:
        query = query.join(Customer, PrivacyRequest.customer_id == Customer.id).where(
            Customer.customer_number == customer_number
        )
    return list(s.execute(query).scalars())


def is_overdue(request: PrivacyRequest, now: Optional[datetime] = None) -> bool:
    return request.status in OPEN and request.due_at < (now or utcnow())


def _require(s: Session, ref: str) -> PrivacyRequest:
    request = get_by_reference(s, ref)
    if request is None:
        raise RequestError(f"no request with reference {ref!r}")
    return request


def default_note(status: str, category: Optional[str] = None) -> str:
    if status == "rejected":
        return f"rejected ({category or wording.DEFAULT_REJECTION})"
    return {
        "verified": "identity verified by staff",
        "in_progress": "work started",
        "done": "done; the customer has been answered",
    }.get(status, f"status set to {status}")


def update_status(
    s: Session,
    ref: str,
    status: str,
    *,
    note: Optional[str] = None,
    actor: str,
    force: bool = False,
    category: Optional[str] = None,
    notice: Optional[str] = None,
    notice_purpose: Optional[str] = None,
) -> PrivacyRequest:
    """Move a ticket along its lifecycle; an illegal step raises ``RequestError``.

    A ticket whose kind has work to do is done only through the use case that does it
    (``WORK_FIRST``): a correction by ``casework.apply_correction``, which passes the
    ``notice`` that tells the customer what changed.

    ``force``: staff say so, a verified ticket may go straight to done (audited). Closing a
    ticket queues one notice to the customer where the request came from; a rejection
    carries its category (``wording.REJECTION_CATEGORIES``)."""
    request = _require(s, ref)
    try:
        status = RequestStatus(status).value
    except ValueError:
        raise RequestError(f"unknown status {status!r}; one of {', '.join(STATUSES)}") from None
    allowed_now = set(TRANSITIONS[request.status])
    if force:
        allowed_now |= FORCED_TRANSITIONS.get(request.status, set())
    if status not in allowed_now:
        allowed = ", ".join(sorted(TRANSITIONS[request.status])) or "none (it is closed)"
        hint = ""
        if status in FORCED_TRANSITIONS.get(request.status, set()):
            hint = "; add --force to skip in_progress"
        raise RequestError(
            f"a {request.status} request cannot become {status} (allowed: {allowed}{hint})"
        )
    hint = WORK_FIRST.get(request.kind)
    if status == "done" and hint and not (request.details or {}).get("work_done"):
        raise RequestError(hint.format(reference=request.reference))
    if category is not None and status != "rejected":
        raise RequestError("a category belongs to a rejection (--status rejected)")
    if status == "rejected":
        category = category or wording.DEFAULT_REJECTION
        if category not in wording.REJECTION_CATEGORIES:
            known = ", ".join(wording.REJECTION_CATEGORIES)
            raise RequestError(f"unknown rejection category {category!r}; one of {known}")
    note = (note or "").strip() or default_note(status, category)
    skipped = status not in TRANSITIONS[request.status]
    old = request.status
    now = utcnow()
    request.status = status
    changed = ["status"]
    if status == "verified" and not request.verified:
        # staff verified the identity themselves (a signed letter with a copy of ID)
        request.verified = True
        request.verification_method = request.verification_method or "staff"
        changed += ["verified", "verification_method"]
    if status in CLOSED_STATUSES:
        request.closed_at = now
        changed.append("closed_at")
    if status == "rejected":
        request.rejection_category = category
        changed.append("rejection_category")
    changes: Dict[str, Any] = {"status": [old, status], "fields": changed}
    if skipped:
        changes["forced"] = "skipped in_progress"  # the only forced step: verified -> done
    if category:
        changes["category"] = category
    if status in CLOSED_STATUSES:
        changes["customer_notified"] = notify_customer(s, request, notice, notice_purpose)
        request.reply_to = None  # told: the contact point is no longer needed on the ticket
    audit.record(
        s,
        actor=actor,
        action="status",
        entity="request",
        entity_id=request.reference,
        reason=note,
        changes=changes,
    )
    return request


def notify_customer(
    s: Session,
    request: PrivacyRequest,
    body: Optional[str] = None,
    purpose: Optional[str] = None,
) -> Optional[str]:
    """Queue the closing notice (``body``, or the plain one in the ticket's language) on the
    ticket's reply route; the channel used, or None."""
    if not (request.reply_channel and request.reply_to):
        return None
    body = body or wording.closing_notice(
        request.reference, request.status, request.rejection_category, request.language
    )
    record_notification(
        s, channel=request.reply_channel, to=request.reply_to, body=body, purpose=purpose
    )
    logger.info("Closing notice for request %s queued (%s)", request.id, request.reply_channel)
    return request.reply_channel


@dataclass(frozen=True)
class Extended:
    reference: str
    due_at: datetime
    customer_notified: Optional[str]  # the channel the customer is told on, or None


def extend_request(s: Session, ref: str, *, reason: str, actor: str) -> Extended:
    """GDPR Art. 12(3): by two further months, once, with a reason, while still open; the
    customer is told the new date and the reason on the request's channel (in its
    language)."""
    request = _require(s, ref)
    if not (reason or "").strip():
        raise RequestError("an extension needs a reason (the customer must be told why)")
    if request.extended_at is not None:
        raise RequestError("the deadline has already been extended once")
    if request.status not in OPEN:
        raise RequestError(f"a {request.status} request needs no extension")
    reason = reason.strip()
    old = request.due_at
    request.due_at = old + EXTENSION
    request.extended_at = utcnow()
    request.extension_reason = reason
    told = None
    if request.reply_channel and request.reply_to:
        record_notification(
            s,
            channel=request.reply_channel,
            to=request.reply_to,
            body=wording.extension_notice(
                request.reference, request.due_at, reason, request.language
            ),
            purpose="extension",
            customer_id=request.customer_id,
        )
        told = request.reply_channel
        logger.info("Extension notice for request %s queued (%s)", request.id, told)
    audit.record(
        s,
        actor=actor,
        action="extend",
        entity="request",
        entity_id=request.reference,
        reason=reason,
        changes={
            "due_at": [old.isoformat(), request.due_at.isoformat()],
            "customer_notified": told,
        },
    )
    return Extended(request.reference, request.due_at, told)


def extend_deadline(s: Session, ref: str, *, reason: str, actor: str) -> PrivacyRequest:
    """``extend_request``, returning the ticket (older callers)."""
    extend_request(s, ref, reason=reason, actor=actor)
    return _require(s, ref)


def request_row(request: PrivacyRequest, now: Optional[datetime] = None) -> Dict[str, Any]:
    """The ticket as the CLI's JSON shows it (dates ISO 8601 UTC)."""

    def iso(value: Optional[datetime]) -> Optional[str]:
        return value.isoformat() if value is not None else None

    return {
        "id": request.id,
        "reference": request.reference,
        "kind": request.kind,
        "status": request.status,
        "channel": request.channel,
        "verified": bool(request.verified),
        "verification_method": request.verification_method,
        "customer_number": request.customer_number,
        "created_at": iso(request.created_at),
        "due_at": iso(request.due_at),
        "extended": request.extended_at is not None,
        "extended_at": iso(request.extended_at),
        "extension_reason": request.extension_reason,
        "closed_at": iso(request.closed_at),
        "overdue": is_overdue(request, now),
        "attempts": request.attempts or 1,
        "rejection_category": request.rejection_category,
        "reply_channel": request.reply_channel,
        "conversation_id": request.conversation_id,
        "details": request.details or {},
    }


def history(s: Session, ref: str) -> List[AuditEntry]:
    """The ticket's whole audit trail, oldest first."""
    request = _require(s, ref)
    return list(
        s.execute(
            select(AuditEntry)
            .where(AuditEntry.entity == "request", AuditEntry.entity_id == request.reference)
            .order_by(AuditEntry.at, AuditEntry.id)
        ).scalars()
    )


def customer_tickets(
    s: Session, customer_id: int, *, closed_within_days: int = 90
) -> List[wording.TicketView]:
    """What the verified person may see: open tickets, and those closed lately (so a
    rejection does not silently disappear). Opt-outs (done at once) are left out."""
    since = utcnow() - relativedelta(days=closed_within_days)
    rows = s.execute(
        select(PrivacyRequest).where(
            PrivacyRequest.customer_id == customer_id, PrivacyRequest.kind != "opt_out"
        )
    ).scalars()
    return [
        wording.TicketView(
            reference=r.reference,
            kind=r.kind,
            status=r.status,
            due_at=r.due_at,
            extended=r.extended_at is not None,
            extension_reason=r.extension_reason,
            rejection_category=r.rejection_category,
            closed_at=r.closed_at,
        )
        for r in rows
        if r.status in OPEN or (r.closed_at is not None and r.closed_at >= since)
    ]
