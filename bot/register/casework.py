"""Staff's use cases on a ticket, each in the caller's transaction and each owning its audit
entry, its outbox message and its wording (in the ticket's language): the CLI, the staff
inbox and the channels only call these and format the result.

- ``apply_correction``: the new value goes into the register, opt-outs follow a changed
  contact point, the ticket is done and the customer is told which field changed.
- ``place_mark`` / ``lift_mark``: a restriction or objection becomes a mark on the customer
  covering marketing, surveys, analyses or all; the exports for those purposes leave the
  customer out (``customers_for_purpose``, ``suppressions.export_rows``) until staff lift
  it with a recorded decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.register import audit, consent, corrections, wording
from bot.register.contacts import registered_address
from bot.register.lookup import get_by_number
from bot.register.models import (
    CHANNELS,
    MARK_KINDS,
    OPEN_STATUSES,
    PURPOSES,
    Customer,
    CustomerMark,
    PrivacyRequest,
    Purpose,
    utcnow,
)
from bot.register.requests import RequestError, _require, update_status

# the field a correction names -> the channel whose contact point it is
CONTACT_FIELDS = {"phone": "sms", "email": "email", "address": "post"}


@dataclass(frozen=True)
class Applied:
    reference: str
    field: str
    customer_number: str
    suppression_followed: bool
    customer_notified: Optional[str]  # the channel the customer is told on, or None


def _workable(request: PrivacyRequest, kinds: Sequence[str], what: str) -> Customer:
    if request.kind not in kinds:
        raise RequestError(f"{request.reference} is a {request.kind} request, not {what}")
    if request.status not in OPEN_STATUSES:
        raise RequestError(f"{request.reference} is {request.status}: nothing to apply")
    if not request.verified or request.status == "received":
        raise RequestError(
            f"{request.reference} is not verified: verify the identity first "
            f"(`klbot requests update {request.reference} --status verified`)"
        )
    customer = request.customer
    if customer is None or customer.erased:
        raise RequestError(f"{request.reference} names no customer in the register")
    return customer


def _write(customer: Customer, field: str, value: str) -> None:
    if field == "address":
        match = corrections.ADDRESS.match(value)
        street, code, place = value, None, None
        if match:
            street = match.group("street").strip(" ,")
            code = match.group("code")
            place = (match.group("place") or "").strip(" ,") or customer.city
        customer.address, customer.postal_code, customer.city = street, code, place
    else:
        setattr(customer, field, value)
    customer.updated_at = utcnow()


def apply_correction(
    s: Session, reference: str, *, actor: str, note: Optional[str] = None
) -> Applied:
    """Put the correction's new value into the register and close the ticket as done."""
    request = _require(s, reference)
    customer = _workable(request, ("correction",), "a correction")
    details = dict(request.details or {})
    field = details.get("field")
    if field not in wording.FIELD_TEXT:
        raise RequestError(f"{request.reference} names no field to correct")
    value, problem = corrections.check(field, details.get("new_value") or "")
    if value is None:
        raise RequestError(
            f"the new value of {request.reference} does not fit the field {field} ({problem}): "
            "ask the customer, or reject the request"
        )
    channel = CONTACT_FIELDS.get(field)
    old_point = registered_address(customer, channel) if channel else None
    _write(customer, field, value)
    followed = False
    if channel:
        followed = consent.follow_contact_point(
            s,
            channel=channel,
            old=old_point,
            new=registered_address(customer, channel),
            customer=customer,
            actor=actor,
            request_reference=request.reference,
        )
    details["work_done"] = {"applied": field, "at": utcnow().isoformat()}
    request.details = details
    audit.record(
        s,
        actor=actor,
        action="apply",
        entity="customer",
        entity_id=customer.id,
        reason=f"correction {request.reference}",
        changes={"fields": [field], "suppression_followed": followed},
    )
    audit.record(
        s,
        actor=actor,
        action="apply",
        entity="request",
        entity_id=request.reference,
        reason=f"{field} corrected in the register",
        changes={"fields": [field], "suppression_followed": followed},
    )
    notice = wording.correction_notice(request.reference, field, request.language)
    told = request.reply_channel if request.reply_to else None
    if request.status == "verified":
        update_status(s, request.reference, "in_progress", actor=actor)
    update_status(
        s,
        request.reference,
        "done",
        actor=actor,
        note=note or f"{field} corrected in the register; the customer is told what changed",
        notice=notice,
    )
    return Applied(
        reference=request.reference,
        field=field,
        customer_number=customer.customer_number,
        suppression_followed=followed,
        customer_notified=told,
    )


# --- restriction and objection ---------------------------------------------------------


@dataclass(frozen=True)
class Marked:
    reference: str
    kind: str
    covers: List[str]
    customer_number: str
    customer_notified: Optional[str]


@dataclass(frozen=True)
class Lifted:
    customer_number: str
    lifted: List[str]  # what the lifted marks covered


def parse_purposes(covers: Sequence[str]) -> List[str]:
    """``["marketing", "surveys"]`` from the words staff give (comma-separated or not);
    ``all`` alone when it is among them. RequestError on an unknown purpose."""
    words = [w.strip().lower() for item in covers for w in str(item).split(",") if w.strip()]
    unknown = [w for w in words if w not in PURPOSES]
    if unknown or not words:
        raise RequestError(
            f"--covers takes {', '.join(PURPOSES)} (not {', '.join(unknown) or 'nothing'})"
        )
    if Purpose.ALL.value in words:
        return [Purpose.ALL.value]
    return [p for p in PURPOSES if p in words]


def active_marks(s: Session, customer_id: int) -> List[CustomerMark]:
    return list(
        s.execute(
            select(CustomerMark)
            .where(CustomerMark.customer_id == customer_id, CustomerMark.lifted_at.is_(None))
            .order_by(CustomerMark.id)
        ).scalars()
    )


def place_mark(
    s: Session,
    reference: str,
    *,
    covers: Sequence[str],
    actor: str,
    note: Optional[str] = None,
) -> Marked:
    """A verified restriction or objection takes effect: a mark per purpose on the customer,
    the ticket done, the customer told what stops."""
    request = _require(s, reference)
    customer = _workable(request, MARK_KINDS, "a restriction or objection")
    purposes = parse_purposes(covers)
    held = {m.covers for m in active_marks(s, customer.id) if m.kind == request.kind}
    for purpose in purposes:
        if purpose not in held:
            s.add(
                CustomerMark(
                    customer_id=customer.id,
                    kind=request.kind,
                    covers=purpose,
                    request_reference=request.reference,
                    created_at=utcnow(),
                    created_by=actor,
                )
            )
    s.flush()
    details = dict(request.details or {})
    details["work_done"] = {"marked": purposes, "at": utcnow().isoformat()}
    request.details = details
    for entity, entity_id in (("customer", customer.id), ("request", request.reference)):
        audit.record(
            s,
            actor=actor,
            action="mark",
            entity=entity,
            entity_id=entity_id,
            reason=f"{request.kind} {request.reference}",
            changes={"kind": request.kind, "covers": purposes},
        )
    told = request.reply_channel if request.reply_to else None
    notice = wording.mark_notice(request.reference, request.kind, purposes, request.language)
    if request.status == "verified":
        update_status(s, request.reference, "in_progress", actor=actor)
    update_status(
        s,
        request.reference,
        "done",
        actor=actor,
        note=note or f"{request.kind} marked on the customer: {', '.join(purposes)}",
        notice=notice,
    )
    return Marked(request.reference, request.kind, purposes, customer.customer_number, told)


def lift_mark(
    s: Session,
    customer_number: str,
    *,
    covers: Sequence[str],
    actor: str,
    reason: str,
    kind: Optional[str] = None,
) -> Lifted:
    """Lift the customer's marks covering ``covers`` (``all``: every mark), only with the
    decision's reason (kept with the mark and in the audit log)."""
    if len((reason or "").strip()) < 3:
        raise RequestError("lifting a mark needs the decision's reason (--reason)")
    customer = get_by_number(s, customer_number)
    if customer is None or customer.erased:
        raise LookupError(customer_number)
    wanted = parse_purposes(covers)
    marks = [
        m
        for m in active_marks(s, customer.id)
        if (kind is None or m.kind == kind)
        and (wanted == [Purpose.ALL.value] or m.covers in wanted)
    ]
    if not marks:
        raise RequestError(f"customer {customer_number} has no such mark")
    now = utcnow()
    for mark in marks:
        mark.lifted_at, mark.lifted_by, mark.lift_reason = now, actor, reason.strip()
    audit.record(
        s,
        actor=actor,
        action="lift_mark",
        entity="customer",
        entity_id=customer.id,
        reason=reason.strip(),
        changes={"marks": [m.id for m in marks], "covers": [m.covers for m in marks]},
    )
    return Lifted(customer.customer_number, [m.covers for m in marks])


def is_marked(s: Session, customer_id: int, purpose: str) -> bool:
    return any(m.covers_purpose(purpose) for m in active_marks(s, customer_id))


def customers_for_purpose(
    s: Session, purpose: str, channel: Optional[str] = None
) -> List[Customer]:
    """The customers a list for ``purpose`` may hold: not erased, no restriction or
    objection covering it; for marketing also the permission on ``channel`` (or any) and a
    contact point not on the suppression list."""
    purpose = parse_purposes([purpose])[0]
    if purpose == Purpose.ALL.value:
        raise RequestError("a list is for one purpose: marketing, surveys or analyses")
    marked = set(
        s.execute(
            select(CustomerMark.customer_id).where(
                CustomerMark.lifted_at.is_(None),
                CustomerMark.covers.in_([purpose, Purpose.ALL.value]),
            )
        ).scalars()
    )
    found = []
    for customer in s.execute(
        select(Customer).where(Customer.erased_at.is_(None)).order_by(Customer.customer_number)
    ).scalars():
        if customer.id in marked:
            continue
        if purpose == Purpose.MARKETING.value:
            channels = [channel] if channel else list(CHANNELS)
            if not any(
                getattr(customer, f"marketing_{c}")
                and not consent.is_suppressed(s, c, registered_address(customer, c))
                for c in channels
            ):
                continue
        found.append(customer)
    return found
