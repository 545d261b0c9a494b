"""Erasure (GDPR Art. 17) as one use case: ``erase``.

Every store the settings name is cleared of the person, in this order, so that a failure
leaves the register as it was and the erasure can simply be run again:

1. checks: the customer exists; no other request of theirs is open (``force``: go on and
   say which); the tracker store this process would clear is the one the Rasa server
   records in the register (``service_stores``), and it exists;
2. the tracker store: the conversations under every sender id linked to the person (the
   tickets', the one-time codes', the channel identities', their SMS and Telegram ids) and
   every conversation that mentions their e-mail, phone, name or street;
3. the register, in one transaction: contact details and marketing permissions, codes,
   channel identities, notifications to them and bodies that mention them, the tickets'
   contact details and free text (also unverified complaints and opt-outs that mention
   them), staff notes that mention them; a tombstone keeps the customer number out of
   imports; then the erasure ticket is closed and the receipt (what was erased, what is
   kept and why) queued. Only this transaction's commit makes the erasure "done".

Run again on an erased customer: the conversations are searched once more (by sender id)
and nothing else changes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.config import load_settings
from bot.register import audit, consent, service_stores, wording
from bot.register.contacts import registered_address
from bot.register.db import session_scope
from bot.register.lookup import get_by_number
from bot.register.models import (
    CHANNELS,
    OPEN_STATUSES,
    AuditEntry,
    Challenge,
    ChannelIdentity,
    CodeFailure,
    Customer,
    CustomerApplication,
    ErasureTombstone,
    OutboxMessage,
    PrivacyRequest,
    utcnow,
)
from bot.register.outbox import RECEIPT
from bot.register.requests import RequestError, get_by_reference, update_status

logger = logging.getLogger(__name__)

ERASED_TEXT = "[slettet]"
# what a ticket's details may keep after an erasure: no free text, no contact point
SAFE_DETAILS = ("field", "channels", "wants_answer", "work_done", "erasure")

ERASED = [
    "name, address, postal code, city, phone, e-mail, contact person",
    "marketing permissions",
    "conversations with the assistant",
    "verification codes, notifications and channel identities",
    "contact details and free text on the requests",
]
KEPT = {
    "customer_number": "the key of invoices and accounting records, which the Bookkeeping "
    "Act (bokføringsloven) requires us to keep for 5 years; an import skips it from now on",
    "invoices": "name and address as billed stay on the invoices for 5 years (bokføringsloven)",
    "suppressions": "the contact points that must get no marketing stay on the suppression "
    "list, so that the person is not contacted again",
    "requests": "the tickets (without contact details) document that we handled the "
    "person's requests (GDPR Art. 5(2) accountability)",
}


class ErasureRefused(RequestError):
    """Nothing was erased: why, in a sentence for staff."""


@dataclass
class ErasureResult:
    customer_number: str
    already_erased: bool = False
    tracker_store: str = ""
    conversations: int = 0
    conversation_events: int = 0
    erased: List[str] = field(default_factory=list)
    kept: Dict[str, str] = field(default_factory=dict)
    closed_requests: List[str] = field(default_factory=list)
    open_unverified: List[str] = field(default_factory=list)
    other_open: List[str] = field(default_factory=list)  # left open (``force``)
    receipt_to: Optional[str] = None  # the channel of the receipt


@dataclass
class _Person:
    customer_id: int
    number: str
    contacts: List[str]  # e-mail and phone
    phrases: List[str]  # name, contact person, street
    sender_ids: Set[str]
    registered: List[str]  # the canonical contact points of every channel


def _sender_ids(s: Session, customer: Customer) -> Set[str]:
    from bot.channels.support import conversation_id

    settings = load_settings()
    ids: Set[str] = set()
    for (conversation,) in s.execute(
        select(PrivacyRequest.conversation_id).where(PrivacyRequest.customer_id == customer.id)
    ):
        ids.add(conversation)
    for (conversation,) in s.execute(
        select(Challenge.conversation_id).where(Challenge.customer_id == customer.id)
    ):
        ids.add(conversation)
    if customer.phone:
        ids.add(conversation_id("sms", customer.phone, settings.twilio_auth_token or ""))
        for channel, external, conversation in s.execute(
            select(
                ChannelIdentity.channel,
                ChannelIdentity.external_id,
                ChannelIdentity.conversation_id,
            ).where(ChannelIdentity.phone == customer.phone)
        ):
            ids.add(conversation)
            if channel == "telegram":
                key = settings.telegram_bot_token or ""
                ids.add(conversation_id("telegram", external, key))
    for (chat,) in s.execute(
        select(PrivacyRequest.reply_to).where(
            PrivacyRequest.customer_id == customer.id, PrivacyRequest.reply_channel == "telegram"
        )
    ):
        ids.add(str(chat))
    return {i for i in ids if i}


def _person(s: Session, customer: Customer) -> _Person:
    phrases = [p for p in (customer.name, customer.contact_person, customer.address) if p]
    return _Person(
        customer_id=customer.id,
        number=customer.customer_number,
        contacts=[c for c in (customer.phone, customer.email) if c],
        phrases=phrases,
        sender_ids=_sender_ids(s, customer),
        registered=[a for a in (registered_address(customer, c) for c in CHANNELS) if a],
    )


def _mentions(person: _Person):
    """A test of free text: does it name the person (contact point in any spelling, name,
    street)?"""
    from bot.stores.conversations import _contacts_in, _phrase_patterns

    wanted = set(person.contacts)
    patterns = [p for _, p in _phrase_patterns(person.phrases)]

    def test(value: object) -> bool:
        if not value:
            return False
        if _contacts_in(value) & wanted:
            return True
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return any(p.search(text) for p in patterns)

    return test


def _scrub(value: object, mentions) -> object:
    if isinstance(value, str):
        return ERASED_TEXT if mentions(value) else value
    if isinstance(value, dict):
        return {k: _scrub(v, mentions) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, mentions) for v in value]
    return value


def check_tracker_store(s: Session, url: str) -> str:
    """The tracker store's description, or ErasureRefused when it is not the server's."""
    from bot.stores.conversations import has_events

    mine = service_stores.describe_store(url)
    server = service_stores.recorded(s, service_stores.TRACKER)
    if server is not None and server != mine:
        raise ErasureRefused(
            f"the Rasa server keeps conversations in {server}, but this klbot would clear "
            f"{mine}: set KLBOT_TRACKER_STORE_URL as the server has it (.env or environment)"
        )
    if not has_events(url):
        raise ErasureRefused(
            f"the tracker store {mine} holds no conversations table: it is not where the "
            "server keeps conversations (set KLBOT_TRACKER_STORE_URL as the server has it)"
        )
    return mine


def _other_open(s: Session, customer_id: int, reference: Optional[str]) -> List[str]:
    rows = s.execute(
        select(PrivacyRequest.reference, PrivacyRequest.kind).where(
            PrivacyRequest.customer_id == customer_id,
            PrivacyRequest.status.in_(OPEN_STATUSES),
        )
    ).all()
    return sorted(ref for ref, kind in rows if kind != "erasure" and ref != reference)


def erase(
    customer_number: str,
    *,
    actor: str,
    reason: str = "erasure request",
    request_reference: Optional[str] = None,
    force: bool = False,
    url: Optional[str] = None,
    tracker_url: Optional[str] = None,
) -> ErasureResult:
    """Erase the person from every store (see the module); ErasureRefused says why not,
    LookupError when there is no such customer."""
    tracker_url = tracker_url or load_settings().tracker_store_url
    with session_scope(url) as s:
        customer = get_by_number(s, customer_number)
        if customer is None:
            raise LookupError(customer_number)
        result = ErasureResult(customer_number=customer.customer_number)
        result.tracker_store = check_tracker_store(s, tracker_url)
        if request_reference:
            ticket = get_by_reference(s, request_reference)
            if ticket is None or ticket.kind != "erasure":
                raise ErasureRefused(f"no erasure request {request_reference}")
            if ticket.customer_id not in (None, customer.id):
                raise ErasureRefused(f"{ticket.reference} is another customer's request")
            request_reference = ticket.reference
        result.other_open = _other_open(s, customer.id, request_reference)
        if result.other_open and not force and not customer.erased:
            raise ErasureRefused(
                "the customer has other open requests: "
                + ", ".join(result.other_open)
                + " (answer them first: after the erasure there is no contact point to "
                "answer on; or add --force to erase now and leave them open)"
            )
        result.already_erased = customer.erased
        person = _person(s, customer)

    from bot.stores.conversations import erase_conversations

    cleared = erase_conversations(
        sender_ids=sorted(person.sender_ids),
        mentioning=person.contacts,
        phrases=person.phrases,
        url=tracker_url,
    )
    result.conversations, result.conversation_events = cleared.conversations, cleared.events
    if result.already_erased:
        logger.info(
            "Erasure run again on an erased customer: %d conversations", cleared.conversations
        )
        return result

    with session_scope(url) as s:
        customer = s.get(Customer, person.customer_id)
        _erase_register(s, customer, person, actor=actor, reason=reason)
        result.erased, result.kept = list(ERASED), dict(KEPT)
        audit.record(
            s,
            actor=actor,
            action="erase",
            entity="customer",
            entity_id=customer.id,
            reason=reason,
            changes={
                "conversations": cleared.conversations,
                "tracker_store": result.tracker_store,
                "left_open": result.other_open,
            },
        )
        # only now, in the same transaction: the ticket is done when every store is clear
        _close(s, customer, result, actor=actor, reference=request_reference)
    logger.info(
        "Customer %s erased (%d conversations, %d tickets closed)",
        person.customer_id,
        cleared.conversations,
        len(result.closed_requests),
    )
    return result


def _erase_register(
    s: Session, customer: Customer, person: _Person, *, actor: str, reason: str
) -> None:
    mentions = _mentions(person)
    if person.contacts:
        s.execute(delete(OutboxMessage).where(OutboxMessage.to.in_(person.contacts)))
        if customer.phone:
            s.execute(delete(ChannelIdentity).where(ChannelIdentity.phone == customer.phone))
        s.execute(
            delete(CustomerApplication).where(
                or_(
                    CustomerApplication.email.in_(person.contacts),
                    CustomerApplication.phone.in_(person.contacts),
                )
            )
        )
    s.execute(delete(OutboxMessage).where(OutboxMessage.customer_id == customer.id))
    for message in s.execute(select(OutboxMessage).where(OutboxMessage.body.isnot(None))).scalars():
        if mentions(message.body):
            message.body = None
    s.execute(delete(Challenge).where(Challenge.customer_id == customer.id))
    s.execute(delete(CodeFailure).where(CodeFailure.customer_id == customer.id))
    for channel in CHANNELS:
        if getattr(customer, f"marketing_{channel}"):
            consent.record(
                s,
                channel=channel,
                granted=False,
                customer=customer,
                source=consent.STAFF,
                actor=actor,
                reason="erasure",
            )
    consent.forget_contact_points(s, person.registered)
    for attr in ("name", "address", "postal_code", "city", "phone", "email", "contact_person"):
        setattr(customer, attr, None)
    customer.erased_at = utcnow()
    if s.get(ErasureTombstone, customer.customer_number) is None:
        s.add(ErasureTombstone(customer_number=customer.customer_number, erased_at=utcnow()))
    # the person's tickets: no contact point, no free text; others only where they name them
    for ticket in s.execute(select(PrivacyRequest)).scalars():
        own = ticket.customer_id == customer.id
        details = ticket.details or {}
        named = own or mentions(details) or mentions(ticket.reply_to)
        if not named:
            continue
        if own:
            ticket.details = {k: v for k, v in details.items() if k in SAFE_DETAILS}
            ticket.conversation_id = None
            if ticket.status not in OPEN_STATUSES or ticket.kind != "erasure":
                ticket.reply_to = None
        else:
            ticket.details = _scrub(details, mentions)
            if mentions(ticket.reply_to):
                ticket.reply_to = None
        if ticket.extension_reason and mentions(ticket.extension_reason):
            ticket.extension_reason = ERASED_TEXT
    # staff's notes name the person sometimes: the audit log keeps the step, not the words
    for entry in s.execute(select(AuditEntry).where(AuditEntry.reason.isnot(None))).scalars():
        if mentions(entry.reason):
            entry.reason = ERASED_TEXT
    s.flush()


def _close(
    s: Session,
    customer: Customer,
    result: ErasureResult,
    *,
    actor: str,
    reference: Optional[str],
) -> None:
    """Close the erasure ticket(s) this fulfils: ``reference``, or every verified open
    erasure ticket of the customer (an unverified one stays open: its identity is not
    checked). The receipt lists what was erased and what is kept."""
    query = select(PrivacyRequest).where(
        PrivacyRequest.customer_id == customer.id,
        PrivacyRequest.kind == "erasure",
        PrivacyRequest.status.in_(OPEN_STATUSES),
    )
    if reference:
        query = select(PrivacyRequest).where(PrivacyRequest.reference == reference)
    kept = "; ".join(f"{what}: {why}" for what, why in result.kept.items())
    note = f"Erased ({'; '.join(result.erased)}). Kept {kept}."
    for ticket in list(s.execute(query.order_by(PrivacyRequest.id)).scalars()):
        if ticket.status not in OPEN_STATUSES:
            continue
        if ticket.status == "received" and not reference:
            result.open_unverified.append(ticket.reference)
            ticket.reply_to = None
            continue
        details = dict(ticket.details or {})
        details["work_done"] = {"erased": True, "at": utcnow().isoformat()}
        details["erasure"] = {"erased": result.erased, "kept": result.kept}
        ticket.details = details
        told = ticket.reply_channel if ticket.reply_to else None
        receipt = wording.erasure_receipt(
            ticket.reference, ticket.language, short=ticket.reply_channel == "sms"
        )
        for status in _steps(ticket.status):
            update_status(
                s,
                ticket.reference,
                status,
                actor=actor,
                note=note,
                notice=receipt if status == "done" else None,
                notice_purpose=RECEIPT if status == "done" else None,
            )
        result.closed_requests.append(ticket.reference)
        result.receipt_to = result.receipt_to or told


def _steps(status: str) -> Iterable[str]:
    return {
        "received": ["verified", "in_progress", "done"],
        "verified": ["in_progress", "done"],
        "in_progress": ["done"],
    }.get(status, [])
