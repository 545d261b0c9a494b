"""Marketing opt-out: the suppression list (customers or not) and the customers' flags.

An opt-out needs no proof of identity and takes effect at once. Every opt-out and opt-in is
an event of the consent ledger (bot.register.consent), which alone writes the list and the
flags. Safe under concurrency: a suppression is one ``INSERT ... ON CONFLICT DO NOTHING`` on
the unique (channel, address), so any number of processes opting the same contact point out
at once leave exactly one row, and every call that changes something records its own
``opt_out`` ticket (done). A repeated opt-out of a contact point already suppressed (and no
customer flag left to clear) is a no-op: no ticket, no staff alert, no ledger event (ten
«STOPP» from one number are one ticket and one alert, not ten).
"""

from __future__ import annotations

from typing import Dict, List, NamedTuple, Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.register import consent
from bot.register.contacts import (  # noqa: F401 - re-exported: callers import them here
    canonical_address,
    normalize_email,
    normalize_phone,
    postal_address,
    registered_address,
)
from bot.register.db import session_scope
from bot.register.models import (
    CHANNELS,
    ConsentEvent,
    Customer,
    CustomerMark,
    PrivacyRequest,
    Purpose,
    Suppression,
)
from bot.register.requests import create_request


def suppress(s: Session, channel: str, address: str, source_channel: str) -> bool:
    """Opt (channel, address) out through the ledger; True if it was not on the list yet.
    Never raises on a duplicate, also when another process does the same at the same time."""
    was = consent.is_suppressed(s, channel, address)
    consent.record(
        s, channel=channel, granted=False, address=address, source=source_channel, actor="system"
    )
    return not was


def _customers_with(
    s: Session, phone: Optional[str], email: Optional[str], postal: Optional[str] = None
) -> List[Customer]:
    conditions = []
    if phone:
        conditions.append(Customer.phone == phone)
    if email:
        conditions.append(Customer.email == email)
    if postal:
        # postal addresses are compared in their canonical form, which SQL cannot build
        conditions.append(Customer.address.isnot(None))
    if not conditions:
        return []
    query = (
        select(Customer).where(or_(*conditions), Customer.erased_at.is_(None)).order_by(Customer.id)
    )
    found = list(s.execute(query).scalars())
    return [
        c
        for c in found
        if (phone and c.phone == phone)
        or (email and c.email == email)
        or (postal and postal_address(c) == postal)
    ]


class _Pending(NamedTuple):
    channel: str
    address: Optional[str]
    customer: Optional[Customer]


def opt_out(
    s: Session,
    *,
    channels: List[str],
    address: Optional[str],
    source_channel: str,
    actor: str = "assistant",
    verified_phone: Optional[str] = None,
    language: Optional[str] = None,
) -> Optional[PrivacyRequest]:
    """Suppress marketing at once on ``channels`` for the contact point (or, without one, the
    phone the channel proved); clear the matching customer's flags; one done ticket. None
    when nothing changes (everything already suppressed, every flag already clear)."""
    channels = [c for c in CHANNELS if c in set(channels or [])]
    if not channels:
        raise ValueError("no marketing channel given")
    given = (address or "").strip() or (verified_phone or "").strip()
    if not given:
        raise ValueError("no contact point given")
    phone = normalize_phone(given) if "@" not in given else None
    email = normalize_email(given) if "@" in given else None

    suppressed: List[Dict[str, str]] = []
    events: List[_Pending] = []

    def add(channel: str, value: Optional[str], customer: Optional[Customer] = None) -> None:
        if value and {"channel": channel, "address": value} in suppressed:
            value = None  # already on the list in this opt-out
        if value is None and customer is None:
            return
        events.append(_Pending(channel, value, customer))
        if value:
            suppressed.append({"channel": channel, "address": value})

    for channel in channels:
        add(channel, canonical_address(channel, given))
    # a customer reached at this contact point loses the chosen permissions, and the
    # contact points the register holds for those channels go on the list as well
    postal = canonical_address("post", given) if not (phone or email) else None
    matched = _customers_with(s, phone, email, postal)
    for customer in matched:
        for channel in channels:
            add(channel, registered_address(customer, channel), customer)
    if not any(_changes(s, item) for item in events):
        return None  # a repeat: no ticket, no alert
    proved = normalize_phone(verified_phone or "")
    verified = bool(proved and phone and proved == phone)
    primary = next(
        (x["address"] for x in suppressed if x["address"] in (phone, email)),
        canonical_address(channels[0], given) or " ".join(given.split()),
    )
    request = create_request(
        s,
        kind="opt_out",
        channel=source_channel,
        customer=matched[0] if matched else None,
        verified=verified,
        verification_method=f"channel_{source_channel}" if verified else None,
        details={"channels": channels, "address": primary, "suppressed": suppressed},
        status="done",
        actor=actor,
        language=language,
    )
    for item in events:
        consent.record(
            s,
            channel=item.channel,
            granted=False,
            address=item.address,
            customer=item.customer,
            source=source_channel,
            actor=actor,
            reason="marketing opt-out",
            request_reference=request.reference,
        )
    return request


def _changes(s: Session, item: _Pending) -> bool:
    """Would this ledger event change the list or a customer's flag?"""
    if item.address and not consent.is_suppressed(s, item.channel, item.address):
        return True
    return bool(item.customer is not None and getattr(item.customer, f"marketing_{item.channel}"))


def earlier_reference(s: Session, channels: List[str], address: Optional[str]) -> Optional[str]:
    """The opt-out ticket that suppressed this contact point (for a repeat's reply)."""
    values = {canonical_address(channel, address or "") for channel in channels} - {None}
    if not values:
        return None
    return s.execute(
        select(ConsentEvent.request_reference)
        .where(
            ConsentEvent.granted.is_(False),
            ConsentEvent.address.in_(values),
            ConsentEvent.request_reference.isnot(None),
        )
        .order_by(ConsentEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def submit_opt_out(
    *,
    channels: List[str],
    address: Optional[str],
    source_channel: str,
    verified_phone: Optional[str] = None,
    language: Optional[str] = None,
) -> str:
    """The assistant's opt-out: ``opt_out`` in a transaction of its own, by ``assistant``.
    Returns the done ticket's reference (the ticket itself is detached once the session
    closes); for a repeat (nothing changed, no ticket) the reference of the opt-out that
    suppressed the contact point: an opt-out ticket has no content and no deadline, and the
    reply says the same either way."""
    with session_scope() as s:
        request = opt_out(
            s,
            channels=channels,
            address=address,
            source_channel=source_channel,
            actor="assistant",
            verified_phone=verified_phone,
            language=language,
        )
        if request is not None:
            return request.reference
        given = (address or "").strip() or (verified_phone or "").strip()
        return earlier_reference(s, channels, given) or "-"


def opt_in(s: Session, *, channel: str, address: str, actor: str, source: str = "") -> bool:
    """The person's explicit yes (SMS START + JA): the contact point comes off the list and
    the customers reached there get marketing on the channel again. True if it was listed."""
    canonical = canonical_address(channel, address)
    if canonical is None:
        return False
    was = consent.is_suppressed(s, channel, canonical)
    source = source or actor
    phone = canonical if channel == "sms" else None
    email = canonical if channel == "email" else None
    matched = _customers_with(s, phone, email)
    consent.record(
        s,
        channel=channel,
        granted=True,
        address=canonical,
        customer=matched[0] if matched else None,
        source=source,
        actor=actor,
        reason="explicit yes",
    )
    for customer in matched[1:]:
        consent.record(
            s,
            channel=channel,
            granted=True,
            customer=customer,
            source=source,
            actor=actor,
            reason="explicit yes",
        )
    return was


def is_suppressed(s: Session, channel: str, address: str) -> bool:
    return consent.is_suppressed(s, channel, canonical_address(channel, address))


def list_suppressions(s: Session, channel: Optional[str] = None) -> List[Suppression]:
    query = select(Suppression).order_by(Suppression.channel, Suppression.address)
    if channel:
        query = query.where(Suppression.channel == channel)
    return list(s.execute(query).scalars())


def export_rows(s: Session, channel: Optional[str] = None) -> List[Dict[str, Optional[str]]]:
    """What the marketing tool must not contact, per channel: the suppression list, plus the
    contact points of customers whose restriction or objection covers marketing (``reason``
    says which: ``opt-out``, ``restriction``, ``objection``). Sorted by channel, address."""
    rows: Dict[tuple, Dict[str, Optional[str]]] = {}
    for x in list_suppressions(s, channel):
        rows[(x.channel, x.address)] = {
            "channel": x.channel,
            "address": x.address,
            "created_at": x.created_at.isoformat() if x.created_at else None,
            "reason": "opt-out",
        }
    marks = s.execute(
        select(CustomerMark, Customer)
        .join(Customer, Customer.id == CustomerMark.customer_id)
        .where(
            CustomerMark.lifted_at.is_(None),
            CustomerMark.covers.in_([Purpose.MARKETING.value, Purpose.ALL.value]),
            Customer.erased_at.is_(None),
        )
        .order_by(CustomerMark.id)
    ).all()
    for mark, customer in marks:
        for each in [channel] if channel else CHANNELS:
            address = registered_address(customer, each)
            if address and (each, address) not in rows:
                rows[(each, address)] = {
                    "channel": each,
                    "address": address,
                    "created_at": mark.created_at.isoformat() if mark.created_at else None,
                    "reason": mark.kind,
                }
    return [rows[key] for key in sorted(rows)]
