"""Staff's use cases on a ticket, each in the caller's transaction and each owning its audit
entry, its outbox message and its wording (in the ticket's language): the CLI, the staff
inbox and the channels only call these and format the result.

- ``apply_correction``: the new value goes into the register, opt-outs follow a changed
  contact point, the ticket is done and the customer is told which field changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy.orm import Session

from bot.register import audit, consent, corrections, wording
from bot.register.contacts import registered_address
from bot.register.models import OPEN_STATUSES, Customer, PrivacyRequest, utcnow
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


def _correctable(request: PrivacyRequest) -> Customer:
    if request.kind != "correction":
        raise RequestError(f"{request.reference} is a {request.kind} request, not a correction")
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
    customer = _correctable(request)
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
