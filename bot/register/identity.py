"""Identity checks decided by the register (use cases: each call is one transaction).

Who is verified is what the register holds for THIS request, never what a client sends:
the challenge this request's form started (its id is passed on), answered correctly in this
conversation for that customer within the last ``VERIFIED_FOR``; or a channel proof the
connector itself recorded for this conversation on the channel the turn came in on (the
SMS sender; a Telegram user's own shared contact), refreshed by a message on that channel
within the last ``VERIFIED_FOR``. An earlier request's code, a «ingen kode», a proof from
another channel, or a ``verified`` slot that the register does not back count for nothing.

Codes are queued in the outbox in the same transaction as the challenge (no delivery on
the reply path): a known and an unknown contact point cost the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.register import audit, outbox, verification
from bot.register.contacts import normalize_phone
from bot.register.db import session_scope
from bot.register.lookup import find_by_contact, find_customer
from bot.register.models import Challenge, ChannelIdentity, Customer, utcnow
from bot.register.requests import Submitted, customer_tickets, submit_request_in
from bot.register.wording import TicketView

logger = logging.getLogger(__name__)

VERIFIED_FOR = timedelta(minutes=15)
ON_BEHALF_EVERY = timedelta(days=1)
ON_BEHALF = "on_behalf"  # the "someone asked on your behalf" notice
CODE = "code"
CONFIRMATION = "confirmation"


@dataclass(frozen=True)
class Started:
    challenge_id: Optional[str]
    state: str  # sent | wait | limited


@dataclass(frozen=True)
class Checked:
    status: str  # ok | wrong | locked | expired | unknown
    attempts_left: int = 0


@dataclass(frozen=True)
class Proof:
    customer_id: int
    method: str  # otp_sms | otp_email | channel_twilio_sms | channel_telegram


# --- the check ----------------------------------------------------------------------------


def start_check(conversation_id: str, identifier: str, *, message: Callable[[str], str]) -> Started:
    """Start a check for ``identifier`` in this conversation; queue the code (``message(code)``
    is its text) to the contact point the register holds, if it is a customer's."""
    with session_scope() as s:
        start = verification.start_challenge(
            s, conversation_id=conversation_id, identifier=identifier
        )
        if start.code and start.channel and start.destination:
            outbox.record_notification(
                s,
                channel=start.channel,
                to=start.destination,
                body=message(start.code),
                secret=start.code,
                purpose=CODE,
                customer_id=start.customer_id,
            )
    if start.state == "limited":
        logger.info("Code limit reached for a contact point (conversation not told who)")
    return Started(start.challenge_id, start.state)


def check_code(conversation_id: str, challenge_id: Optional[str], code: str) -> Checked:
    """Check a code against this conversation's challenge."""
    with session_scope() as s:
        result = verification.check_code(
            s, challenge_id or "", code, conversation_id=conversation_id
        )
    if result.status == "locked":
        logger.info("Code check refused: locked")
    return Checked(result.status, result.attempts_left)


def record_channel_proof(conversation_id: str, channel: str, phone: str) -> None:
    """The connector proved that this conversation's sender holds ``phone`` (an SMS came from
    it): recorded in the register, so the actions need not trust any metadata."""
    number = normalize_phone(phone)
    if number is None:
        return
    with session_scope() as s:
        record_channel_proof_in(s, conversation_id, channel, number)


def record_channel_proof_in(s: Session, conversation_id: str, channel: str, phone: str) -> None:
    row = s.execute(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == conversation_id
        )
    ).scalar_one_or_none()
    if row is None:
        s.add(
            ChannelIdentity(
                channel=channel,
                external_id=conversation_id,
                phone=phone,
                conversation_id=conversation_id,
            )
        )
    else:
        # every message from the number proves it again: the proof lasts VERIFIED_FOR from
        # the latest one
        row.phone, row.verified_at = phone, utcnow()
    s.flush()


PROOF_CHANNELS = ("twilio_sms", "telegram")


def _proof(
    s: Session,
    conversation_id: str,
    customer: Optional[Customer],
    *,
    challenge_id: Optional[str] = None,
    channel: Optional[str] = None,
) -> Optional[Proof]:
    """This request's proof: the challenge ``challenge_id`` (this conversation's, this
    customer's, answered within ``VERIFIED_FOR``), or else a channel proof on ``channel``
    (the channel the turn came in on) refreshed within ``VERIFIED_FOR``."""
    if customer is None or customer.erased_at is not None:
        return None
    since = utcnow() - VERIFIED_FOR
    if challenge_id:
        answered = s.execute(
            select(Challenge.contact_hash).where(
                Challenge.id == str(challenge_id),
                Challenge.conversation_id == conversation_id,
                Challenge.customer_id == customer.id,
                Challenge.used_at.isnot(None),
                Challenge.used_at >= since,
            )
        ).first()
        if answered is not None:
            email_key = (
                verification.contact_hash("email", customer.email.lower())
                if customer.email
                else None
            )
            return Proof(customer.id, "otp_email" if answered[0] == email_key else "otp_sms")
    if customer.phone and channel in PROOF_CHANNELS:
        proved = s.execute(
            select(ChannelIdentity.channel).where(
                ChannelIdentity.conversation_id == conversation_id,
                ChannelIdentity.channel == channel,
                ChannelIdentity.phone == customer.phone,
                ChannelIdentity.verified_at >= since,
            )
        ).first()
        if proved is not None:
            return Proof(customer.id, f"channel_{proved[0]}")
    return None


def verified_customer_for(
    conversation_id: str,
    identifier: Optional[str],
    *,
    challenge_id: Optional[str] = None,
    channel: Optional[str] = None,
) -> Optional[Proof]:
    """The register's answer: is the customer that ``identifier`` names verified for this
    request (its challenge answered within ``VERIFIED_FOR``, or a fresh channel proof on
    the turn's channel)?"""
    with session_scope() as s:
        return _proof(
            s,
            conversation_id,
            find_customer(s, identifier),
            challenge_id=challenge_id,
            channel=channel,
        )


def channel_proved_customer(conversation_id: str, channel: Optional[str] = None) -> Optional[str]:
    """The phone (E.164) a channel proved in this conversation, on ``channel`` (the turn's
    channel) within ``VERIFIED_FOR``, if it is a customer's."""
    if channel not in PROOF_CHANNELS:
        return None
    with session_scope() as s:
        for (phone,) in s.execute(
            select(ChannelIdentity.phone).where(
                ChannelIdentity.conversation_id == conversation_id,
                ChannelIdentity.channel == channel,
                ChannelIdentity.verified_at >= utcnow() - VERIFIED_FOR,
            )
        ):
            if find_by_contact(s, phone=phone) is not None:
                return phone
    return None


# --- what the check unlocks ---------------------------------------------------------------


def submit_rights_request(
    *,
    conversation_id: str,
    kind: str,
    channel: str,
    identifier: Optional[str],
    details: Dict[str, Any],
    unverified_details: Dict[str, Any],
    confirmation: Callable[[str, datetime, bool], str],
    prefer: Callable[[Customer, str], Optional[Tuple[str, str]]],
    proven_phone: Optional[str] = None,
    telegram_chat: Optional[str] = None,
    challenge_id: Optional[str] = None,
    channel_proof: bool = False,
    language: Optional[str] = None,
) -> Submitted:
    """Write the ticket (or attach a repeat to the open one), verified only if the register
    backs it, and queue the customer's confirmation (``confirmation(reference, due_at,
    verified)``) to the contact point the register holds (``prefer``); the unverified
    "someone asked on your behalf" notice goes to a person at most once a day. An unknown
    person gets nothing sent; a repeat gets no second confirmation."""
    with session_scope() as s:
        customer = find_customer(s, identifier)
        # only this request's own check counts: its challenge, or the turn's channel
        proof = _proof(
            s,
            conversation_id,
            customer,
            challenge_id=challenge_id,
            channel=channel if channel_proof else None,
        )
        submitted = submit_request_in(
            s,
            kind=kind,
            channel=channel,
            identifier=identifier,
            verified=proof is not None,
            verification_method=proof.method if proof else None,
            details={**details, **({} if proof else unverified_details)},
            conversation_id=conversation_id,
            proven_phone=proven_phone,
            telegram_chat=telegram_chat,
            language=language,
        )
        if submitted.merged or customer is None:
            return submitted
        target = prefer(customer, identifier or "")
        purpose = CONFIRMATION if proof else ON_BEHALF
        if target and (
            proof is not None
            or not outbox.sent_recently(
                s, customer_id=customer.id, purpose=ON_BEHALF, within=ON_BEHALF_EVERY
            )
        ):
            outbox.record_notification(
                s,
                channel=target[0],
                to=target[1],
                body=confirmation(submitted.reference, submitted.due_at, submitted.verified),
                purpose=purpose,
                customer_id=customer.id,
            )
        return submitted


def tickets_if_verified(
    conversation_id: str,
    identifier: Optional[str],
    *,
    challenge_id: Optional[str] = None,
    channel: Optional[str] = None,
) -> Optional[List[TicketView]]:
    """What the verified person may see of their tickets (open, and lately closed), or None
    when the register holds no proof for this request (``_proof``)."""
    with session_scope() as s:
        customer = find_customer(s, identifier)
        proof = _proof(s, conversation_id, customer, challenge_id=challenge_id, channel=channel)
        if proof is None:
            return None
        return customer_tickets(s, customer.id)


# --- staff --------------------------------------------------------------------------------


def unlock_customer(customer_number: str, *, actor: str, reason: Optional[str] = None) -> int:
    """Lift a lock-out after too many wrong codes (audited). LookupError if no customer."""
    with session_scope() as s:
        customer = s.execute(
            select(Customer).where(Customer.customer_number == str(customer_number))
        ).scalar_one_or_none()
        if customer is None:
            raise LookupError(customer_number)
        cleared = verification.unlock(s, customer)
        audit.record(
            s,
            actor=actor,
            action="unlock",
            entity="customer",
            entity_id=customer.id,
            reason=reason or "lock-out lifted after wrong one-time codes",
            changes={"wrong_codes_cleared": cleared},
        )
        return cleared
