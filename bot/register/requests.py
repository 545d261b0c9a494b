"""Rights requests (tickets): reference, due date one month after receipt, lifecycle.

Lifecycle: received -> verified -> in_progress -> done | rejected (rejected also from
received and verified). An opt-out is recorded as done at once. GDPR Art. 12(3): the answer
is due one month after receipt; staff may extend by two further months, once, with a reason
(which the customer must be told within the first month).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Dict, List, Optional

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.register import audit
from bot.register.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    REQUEST_KINDS,
    STATUSES,
    Customer,
    PrivacyRequest,
    utcnow,
)

OPEN = OPEN_STATUSES
TRANSITIONS = {
    "received": {"verified", "rejected"},
    "verified": {"in_progress", "rejected"},
    "in_progress": {"done", "rejected"},
    "done": set(),
    "rejected": set(),
}
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: quotable on the phone
REFERENCE_LENGTH = 6
EXTENSION = relativedelta(months=2)


class RequestError(ValueError):
    pass


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
) -> PrivacyRequest:
    """Write a ticket: status ``verified`` when the identity was verified, else ``received``
    (``status="done"`` for what is done at once, an opt-out)."""
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
        changes={"kind": kind, "status": request.status, "verified": request.verified},
    )
    return request


def get_by_reference(s: Session, ref: str) -> Optional[PrivacyRequest]:
    ref = (ref or "").strip().upper()
    if ref and not ref.startswith("PV-"):
        ref = "PV-" + ref
    return s.execute(
        select(PrivacyRequest).where(PrivacyRequest.reference == ref)
    ).scalar_one_or_none()


def open_requests_for_customer(s: Session, customer_id: int) -> List[PrivacyRequest]:
    return list(
        s.execute(
            select(PrivacyRequest)
            .where(PrivacyRequest.customer_id == customer_id, PrivacyRequest.status.in_(OPEN))
            .order_by(PrivacyRequest.created_at)
        ).scalars()
    )


def list_requests(
    s: Session, *, open_only: bool = False, overdue: bool = False
) -> List[PrivacyRequest]:
    """Every request (oldest first); ``open_only``/``overdue``: the work queue, nearest
    deadline first."""
    query = select(PrivacyRequest).order_by(PrivacyRequest.id)
    if open_only or overdue:
        query = (
            select(PrivacyRequest)
            .where(PrivacyRequest.status.in_(OPEN))
            .order_by(PrivacyRequest.due_at, PrivacyRequest.id)
        )
    if overdue:
        query = query.where(PrivacyRequest.due_at < utcnow())
    return list(s.execute(query).scalars())


def is_overdue(request: PrivacyRequest, now: Optional[datetime] = None) -> bool:
    return request.status in OPEN and request.due_at < (now or utcnow())


def _require(s: Session, ref: str) -> PrivacyRequest:
    request = get_by_reference(s, ref)
    if request is None:
        raise RequestError(f"no request with reference {ref!r}")
    return request


def _note(request: PrivacyRequest, entry: Dict[str, Any]) -> None:
    details = dict(request.details or {})
    details["notes"] = [*details.get("notes", []), entry]
    request.details = details


def update_status(s: Session, ref: str, status: str, *, note: str, actor: str) -> PrivacyRequest:
    """Move a ticket along its lifecycle; an illegal step raises ``RequestError``."""
    request = _require(s, ref)
    if status not in STATUSES:
        raise RequestError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    if status not in TRANSITIONS[request.status]:
        allowed = ", ".join(sorted(TRANSITIONS[request.status])) or "none (it is closed)"
        raise RequestError(
            f"a {request.status} request cannot become {status} (allowed: {allowed})"
        )
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
    _note(request, {"at": now.isoformat(), "by": actor, "status": status, "note": note})
    audit.record(
        s,
        actor=actor,
        action="status",
        entity="request",
        entity_id=request.reference,
        reason=note,
        changes={"status": [old, status], "fields": changed},
    )
    return request


def extend_deadline(s: Session, ref: str, *, reason: str, actor: str) -> PrivacyRequest:
    """GDPR Art. 12(3): by two further months, once, with a reason, while still open."""
    request = _require(s, ref)
    if not (reason or "").strip():
        raise RequestError("an extension needs a reason (the customer must be told why)")
    if request.extended_at is not None:
        raise RequestError("the deadline has already been extended once")
    if request.status not in OPEN:
        raise RequestError(f"a {request.status} request needs no extension")
    old = request.due_at
    request.due_at = old + EXTENSION
    request.extended_at = utcnow()
    request.extension_reason = reason
    _note(request, {"at": request.extended_at.isoformat(), "by": actor, "extended": reason})
    audit.record(
        s,
        actor=actor,
        action="extend",
        entity="request",
        entity_id=request.reference,
        reason=reason,
        changes={"due_at": [old.isoformat(), request.due_at.isoformat()]},
    )
    return request


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
        "conversation_id": request.conversation_id,
        "details": request.details or {},
    }
