"""The consent ledger: every opt-out and opt-in of marketing, from every channel, staff and
imports, is one ``ConsentEvent`` (time, channel, source, scope). Nothing else changes
consent: the suppression list and the customers' ``marketing_*`` flags are written only by
``record`` here, in the same transaction as the event, and ``contradictions`` checks that
they are exactly what the ledger derives.

Scope: an event about a contact point (``address``, canonical) puts it on the suppression
list (opt-out) or takes it off (opt-in); an event about a customer sets that customer's flag
for the channel. One event may carry both.

Who may turn marketing ON: the person (SMS START + JA, a verified request), staff with a
reason (``klbot customers consent``), and an import only for a customer it creates, never
for a contact point on the suppression list (see ``may_grant``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Set, Tuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.register import audit
from bot.register.contacts import registered_address
from bot.register.models import CHANNELS, ConsentEvent, Customer, Suppression, utcnow
from bot.register.sql import insert_ignore

IMPORT = "import"
STAFF = "staff"
MIGRATION = "migration"


@dataclass(frozen=True)
class Refusal:
    """Why marketing on a channel stays off although an import asked for it."""

    channel: str
    why: str


def _suppress(s: Session, channel: str, address: str, source: str) -> None:
    insert_ignore(
        s,
        Suppression.__table__,
        {"channel": channel, "address": address, "source_channel": source, "created_at": utcnow()},
        ["channel", "address"],
    )


def record(
    s: Session,
    *,
    channel: str,
    granted: bool,
    source: str,
    actor: str,
    address: Optional[str] = None,
    customer: Optional[Customer] = None,
    reason: Optional[str] = None,
    request_reference: Optional[str] = None,
) -> ConsentEvent:
    """Write one event and apply it to the suppression list and the customer's flag."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown marketing channel {channel!r}")
    if address is None and customer is None:
        raise ValueError("a consent event needs a contact point or a customer")
    event = ConsentEvent(
        at=utcnow(),
        channel=channel,
        granted=bool(granted),
        address=address,
        customer_id=customer.id if customer is not None else None,
        source=(source or "unknown")[:30],
        actor=actor,
        reason=reason,
        request_reference=request_reference,
    )
    s.add(event)
    if address is not None:
        if granted:
            s.execute(
                delete(Suppression).where(
                    Suppression.channel == channel, Suppression.address == address
                )
            )
        else:
            _suppress(s, channel, address, event.source)
    if customer is not None:
        flag = f"marketing_{channel}"
        if bool(getattr(customer, flag)) != bool(granted):
            setattr(customer, flag, bool(granted))
            customer.updated_at = utcnow()
    s.flush()
    audit.record(
        s,
        actor=actor,
        action="opt_in" if granted else "opt_out",
        entity="customer" if customer is not None else "suppression",
        entity_id=customer.id if customer is not None else None,
        reason=reason,
        changes={"channel": channel, "source": event.source, "event": event.id},
    )
    return event


def is_suppressed(s: Session, channel: str, address: Optional[str]) -> bool:
    return bool(
        address
        and s.execute(
            select(Suppression.id).where(
                Suppression.channel == channel, Suppression.address == address
            )
        ).first()
    )


def withdrawn(s: Session, customer_id: int, channel: str) -> bool:
    """Did the person (or staff for them) withdraw this channel last? Imports do not count."""
    latest = s.execute(
        select(ConsentEvent.granted)
        .where(
            ConsentEvent.customer_id == customer_id,
            ConsentEvent.channel == channel,
            ConsentEvent.source.notin_([IMPORT, MIGRATION]),
        )
        .order_by(ConsentEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return latest is False


def may_grant(
    s: Session, customer: Customer, channel: str, address: Optional[str], *, new: bool
) -> Optional[Refusal]:
    """None when an import may turn ``channel`` on for ``customer``; else why not."""
    if address is None:
        return Refusal(channel, "no contact point for the channel")
    if is_suppressed(s, channel, address):
        return Refusal(channel, "the contact point is on the suppression list")
    if not new and withdrawn(s, customer.id, channel):
        return Refusal(channel, "the customer opted out")
    if not new:
        return Refusal(
            channel,
            "an import does not turn marketing on for an existing customer "
            "(use `klbot customers consent ... --reason`)",
        )
    return None


# --- what the ledger derives, and the check that the register agrees --------------------


def derived_suppressions(s: Session) -> Set[Tuple[str, str]]:
    """(channel, address) whose latest event about the contact point is an opt-out."""
    latest = (
        select(func.max(ConsentEvent.id))
        .where(ConsentEvent.address.isnot(None))
        .group_by(ConsentEvent.channel, ConsentEvent.address)
    )
    rows = s.execute(
        select(ConsentEvent.channel, ConsentEvent.address, ConsentEvent.granted).where(
            ConsentEvent.id.in_(latest)
        )
    )
    return {(channel, address) for channel, address, granted in rows if not granted}


def derived_flags(s: Session) -> Dict[Tuple[int, str], bool]:
    """(customer id, channel) -> the latest event about the customer's permission."""
    latest = (
        select(func.max(ConsentEvent.id))
        .where(ConsentEvent.customer_id.isnot(None))
        .group_by(ConsentEvent.customer_id, ConsentEvent.channel)
    )
    rows = s.execute(
        select(ConsentEvent.customer_id, ConsentEvent.channel, ConsentEvent.granted).where(
            ConsentEvent.id.in_(latest)
        )
    )
    return {(cid, channel): bool(granted) for cid, channel, granted in rows}


def contradictions(s: Session) -> List[str]:
    """Where the suppression list or a flag disagrees with the ledger, or a customer may be
    sent marketing at a suppressed contact point (ids and channels only)."""
    problems: List[str] = []
    listed = {(x.channel, x.address) for x in s.execute(select(Suppression)).scalars()}
    derived = derived_suppressions(s)
    problems += [f"suppression {c} not in the ledger" for c, _ in sorted(listed - derived)]
    problems += [f"ledger opt-out {c} not on the list" for c, _ in sorted(derived - listed)]
    flags = derived_flags(s)
    for customer in s.execute(select(Customer).order_by(Customer.id)).scalars():
        for channel in CHANNELS:
            have = bool(getattr(customer, f"marketing_{channel}"))
            if have != flags.get((customer.id, channel), False):
                problems.append(f"customer {customer.id} {channel} flag differs from the ledger")
            if have and (channel, registered_address(customer, channel)) in listed:
                problems.append(f"customer {customer.id} {channel} on but suppressed")
    return problems


def forget_contact_points(s: Session, addresses: List[str]) -> None:
    """After an erasure: events about the person's contact points stop naming them, except
    where the contact point is suppressed now (the ledger's opt-out is what keeps it on the
    suppression list, so that the person is not contacted again)."""
    for channel in CHANNELS:
        for address in addresses:
            if not address or is_suppressed(s, channel, address):
                continue
            for event in s.execute(
                select(ConsentEvent).where(
                    ConsentEvent.channel == channel, ConsentEvent.address == address
                )
            ).scalars():
                event.address = None


def follow_contact_point(
    s: Session,
    *,
    channel: str,
    old: Optional[str],
    new: Optional[str],
    customer: Customer,
    actor: str,
    request_reference: Optional[str] = None,
) -> bool:
    """A customer's contact point was corrected from ``old`` to ``new``: an opt-out of the
    old one now covers the new one. The ledger's events about the old contact point are
    re-pointed at the new one (the old value is not kept), unless another customer still
    holds it (then it stays listed, and the new one gets an opt-out of its own). True when
    the new contact point is suppressed because of this."""
    if not old or not new or old == new or not is_suppressed(s, channel, old):
        return False
    shared = any(
        registered_address(other, channel) == old
        for other in s.execute(
            select(Customer).where(Customer.id != customer.id, Customer.erased_at.is_(None))
        ).scalars()
    )
    if shared:
        record(
            s,
            channel=channel,
            granted=False,
            address=new,
            source=STAFF,
            actor=actor,
            reason="opt-out follows the corrected contact point",
            request_reference=request_reference,
        )
        return True
    for event in s.execute(
        select(ConsentEvent).where(ConsentEvent.channel == channel, ConsentEvent.address == old)
    ).scalars():
        event.address = new
    s.execute(delete(Suppression).where(Suppression.channel == channel, Suppression.address == old))
    s.flush()
    if not is_suppressed(s, channel, new):
        _suppress(s, channel, new, STAFF)
    audit.record(
        s,
        actor=actor,
        action="opt_out_follows",
        entity="customer",
        entity_id=customer.id,
        reason="contact point corrected: the opt-out follows it",
        changes={"channel": channel, "request": request_reference},
    )
    return True
