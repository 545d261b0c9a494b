"""Marketing opt-out: the suppression list (customers or not) and the customers' flags.

An opt-out needs no proof of identity and takes effect at once. It is idempotent and safe
under concurrency: a suppression is one ``INSERT ... ON CONFLICT DO NOTHING`` on the unique
(channel, address), so any number of processes opting the same contact point out at once
leave exactly one row, and every call records its own ``opt_out`` ticket (status done).
"""

from __future__ import annotations

from typing import Dict, List, Optional

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.register import audit
from bot.register.contacts import normalize_email, normalize_phone
from bot.register.models import CHANNELS, Customer, PrivacyRequest, Suppression, utcnow
from bot.register.requests import create_request
from bot.register.sql import insert_ignore


def canonical_address(channel: str, address: Optional[str]) -> Optional[str]:
    """The form a contact point is kept in: E.164 for sms, lower-case e-mail, and a postal
    address with its spaces collapsed, lower-case. None when it does not fit the channel."""
    if not address:
        return None
    if channel == "sms":
        return normalize_phone(address)
    if channel == "email":
        return normalize_email(address)
    if channel == "post":
        if normalize_email(address) or normalize_phone(address):
            return None  # an e-mail address or phone number is no postal address
        return " ".join(address.split()).lower() or None
    return None


def postal_address(customer: Customer) -> Optional[str]:
    parts = [customer.address, " ".join(p for p in (customer.postal_code, customer.city) if p)]
    text = ", ".join(p for p in parts if p)
    return canonical_address("post", text) if customer.address else None


def registered_address(customer: Customer, channel: str) -> Optional[str]:
    if channel == "sms":
        return customer.phone
    if channel == "email":
        return customer.email
    return postal_address(customer)


def suppress(s: Session, channel: str, address: str, source_channel: str) -> bool:
    """Put (channel, address) on the list; True if it was not there yet. Never raises on a
    duplicate, also when another process inserts the same row at the same moment."""
    return insert_ignore(
        s,
        Suppression.__table__,
        {
            "channel": channel,
            "address": address,
            "source_channel": source_channel,
            "created_at": utcnow(),
        },
        ["channel", "address"],
    )


def _customers_with(s: Session, phone: Optional[str], email: Optional[str]) -> List[Customer]:
    conditions = []
    if phone:
        conditions.append(Customer.phone == phone)
    if email:
        conditions.append(Customer.email == email)
    if not conditions:
        return []
    query = (
        select(Customer).where(or_(*conditions), Customer.erased_at.is_(None)).order_by(Customer.id)
    )
    return list(s.execute(query).scalars())


def opt_out(
    s: Session,
    *,
    channels: List[str],
    address: Optional[str],
    source_channel: str,
    actor: str = "assistant",
    verified_phone: Optional[str] = None,
) -> PrivacyRequest:
    """Suppress marketing at once on ``channels`` for the contact point (or, without one, the
    phone the channel proved); clear the matching customer's flags; one done ticket."""
    channels = [c for c in CHANNELS if c in set(channels or [])]
    if not channels:
        raise ValueError("no marketing channel given")
    given = (address or "").strip() or (verified_phone or "").strip()
    if not given:
        raise ValueError("no contact point given")
    phone = normalize_phone(given) if "@" not in given else None
    email = normalize_email(given) if "@" in given else None

    suppressed: List[Dict[str, str]] = []

    def add(channel: str, value: Optional[str]) -> None:
        if value and {"channel": channel, "address": value} not in suppressed:
            suppress(s, channel, value, source_channel)
            suppressed.append({"channel": channel, "address": value})

    for channel in channels:
        add(channel, canonical_address(channel, given))
    # a customer reached at this contact point loses the chosen permissions, and the
    # contact points the register holds for those channels go on the list as well
    matched = _customers_with(s, phone, email)
    for customer in matched:
        changed = {}
        for channel in channels:
            flag = f"marketing_{channel}"
            if getattr(customer, flag):
                setattr(customer, flag, False)
                changed[flag] = [True, False]
            add(channel, registered_address(customer, channel))
        if changed:
            customer.updated_at = utcnow()
            audit.record(
                s,
                actor=actor,
                action="opt_out",
                entity="customer",
                entity_id=customer.id,
                reason="marketing opt-out",
                changes=changed,
            )
    proved = normalize_phone(verified_phone or "")
    verified = bool(proved and phone and proved == phone)
    primary = next(
        (x["address"] for x in suppressed if x["address"] in (phone, email)),
        canonical_address(channels[0], given) or " ".join(given.split()),
    )
    return create_request(
        s,
        kind="opt_out",
        channel=source_channel,
        customer=matched[0] if matched else None,
        verified=verified,
        verification_method=f"channel_{source_channel}" if verified else None,
        details={"channels": channels, "address": primary, "suppressed": suppressed},
        status="done",
        actor=actor,
    )


def opt_in(s: Session, *, channel: str, address: str, actor: str) -> bool:
    """Take (channel, address) off the list again (an explicit yes, e.g. SMS START)."""
    canonical = canonical_address(channel, address)
    if canonical is None:
        return False
    result = s.execute(
        delete(Suppression).where(Suppression.channel == channel, Suppression.address == canonical)
    )
    if result.rowcount:
        audit.record(
            s,
            actor=actor,
            action="opt_in",
            entity="suppression",
            reason="explicit yes",
            changes={"channel": channel},
        )
    return bool(result.rowcount)


def is_suppressed(s: Session, channel: str, address: str) -> bool:
    canonical = canonical_address(channel, address)
    return bool(
        canonical
        and s.execute(
            select(Suppression.id).where(
                Suppression.channel == channel, Suppression.address == canonical
            )
        ).first()
    )


def list_suppressions(s: Session, channel: Optional[str] = None) -> List[Suppression]:
    query = select(Suppression).order_by(Suppression.channel, Suppression.address)
    if channel:
        query = query.where(Suppression.channel == channel)
    return list(s.execute(query).scalars())
