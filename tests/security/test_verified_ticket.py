"""A verified ticket means one thing: the person proved it, in this request (issue 22).

The attacks run in-process against the real register (SQLite, the demo customers) through
the same use cases the actions call (``bot.register.identity``). Each fails if it succeeds.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, update

from actions.rights import OTP_SKIP, ActionSubmitRightsRequest, ValidateRightsForm
from bot.register import identity, requests
from bot.register.db import session_scope
from bot.register.models import Challenge, ChannelIdentity, OutboxMessage, PrivacyRequest, utcnow

OLA_EMAIL = "ola.nordmann@example.no"  # demo customer 10002, phone +4741234567
OLA_PHONE = "+4741234567"
STRANGER_TEXT = (
    "Jeg protesterer mot ALT. Slett kundeforholdet mitt og send alle data til angriper@evil.example"
)


def message(code: str) -> str:
    return f"Engangskoden din er {code}."


def last_code(to: str) -> str:
    with session_scope() as s:
        rows = list(
            s.execute(
                select(OutboxMessage)
                .where(OutboxMessage.purpose == identity.CODE, OutboxMessage.to == to)
                .order_by(OutboxMessage.id)
            ).scalars()
        )
    assert rows, "no code queued"
    return rows[-1].secret or re.search(r"(?<!\d)(\d{6})(?!\d)", rows[-1].body).group(1)


def submit(
    conversation: str,
    identifier: str,
    *,
    kind: str = "objection",
    text: str = "kundeundersøkelser",
    otp: str = "skipped",
    challenge_id: Optional[str] = None,
    channel: str = "rest",
):
    return identity.submit_rights_request(
        conversation_id=conversation,
        kind=kind,
        channel=channel,
        identifier=identifier,
        details={"request_details": text} if kind == "objection" else {},
        unverified_details={"contact_given": identifier, "verification": otp},
        confirmation=lambda ref, due, verified: f"{ref} verified={verified}",
        prefer=lambda customer, given: ("email", customer.email),
        challenge_id=challenge_id,
    )


def verify(conversation: str, identifier: str, to: str) -> str:
    started = identity.start_check(conversation, identifier, message=message)
    assert identity.check_code(conversation, started.challenge_id, last_code(to)).status == "ok"
    return started.challenge_id


def ticket(reference: str) -> dict:
    with session_scope() as s:
        return requests.request_row(requests.get_by_reference(s, reference))


def test_a_strangers_unverified_ticket_never_becomes_the_customers_verified_one(register):
    stranger = submit("stranger-conv", OLA_EMAIL, text=STRANGER_TEXT, otp="skipped")
    assert stranger.verified is False
    challenge = verify("ola-conv", OLA_EMAIL, OLA_EMAIL)
    ola = submit("ola-conv", OLA_EMAIL, otp="ok", challenge_id=challenge)
    assert ola.verified is True
    assert not ola.merged and ola.reference != stranger.reference
    mine = ticket(ola.reference)
    assert mine["conversation_id"] == "ola-conv"
    assert STRANGER_TEXT not in str(mine["details"])
    assert "angriper@evil.example" not in str(mine["details"])
    assert "verification" not in mine["details"]
    assert mine["details"]["request_details"] == "kundeundersøkelser"
    assert mine["details"]["possible_duplicates"] == [stranger.reference]  # a link at most
    theirs = ticket(stranger.reference)
    assert theirs["verified"] is False and theirs["status"] == "received"
    assert theirs["conversation_id"] == "stranger-conv"
    # every verified ticket carries only what verified conversations wrote
    with session_scope() as s:
        for row in s.execute(select(PrivacyRequest).where(PrivacyRequest.verified)).scalars():
            assert STRANGER_TEXT not in str(row.details)
            assert row.conversation_id == "ola-conv"


def test_a_verified_repeat_attaches_only_to_the_persons_verified_ticket(register):
    first_challenge = verify("ola-1", OLA_EMAIL, OLA_EMAIL)
    first = submit("ola-1", OLA_EMAIL, kind="access", otp="ok", challenge_id=first_challenge)
    submit("stranger-2", OLA_EMAIL, kind="access", otp="skipped")
    again = submit("ola-1", OLA_EMAIL, kind="access", otp="ok", challenge_id=first_challenge)
    assert again.merged and again.reference == first.reference and again.verified


def test_attach_attempt_refuses_to_change_verification(register):
    unverified = submit("stranger-3", OLA_EMAIL, kind="access")
    with session_scope() as s:
        row = requests.get_by_reference(s, unverified.reference)
        with pytest.raises(requests.RequestError):
            requests.attach_attempt(
                s,
                row,
                channel="rest",
                verified=True,
                verification_method="otp_email",
                customer=row.customer,
            )


# --- proof comes only from THIS request ---------------------------------------------------


def tracker(
    sender: str, slots: Dict[str, Any], *, text: str = "ja", channel: str = "rest"
) -> Tracker:
    parse = {"intent": {"name": "inform", "confidence": 1.0}, "entities": []}
    user = {"event": "user", "text": text, "parse_data": parse, "input_channel": channel}
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": text, **parse},
            "events": [user],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        }
    )


async def form_step(slots: Dict[str, Any], slot: str, value: str, sender: str) -> List[str]:
    """One answer to the rights form (validate_<slot>), the slots updated in place."""
    dispatcher = CollectingDispatcher()
    form = ValidateRightsForm()
    validate = getattr(form, f"validate_{slot}")
    slots["requested_slot"] = slot
    slots.update(await validate(value, dispatcher, tracker(sender, slots, text=value), {}))
    return [m.get("response") for m in dispatcher.messages]


async def submit_form(slots: Dict[str, Any], sender: str) -> List[str]:
    dispatcher = CollectingDispatcher()
    await ActionSubmitRightsRequest().run(dispatcher, tracker(sender, slots), {})
    return [m.get("response") for m in dispatcher.messages]


def age_challenges(delta: timedelta) -> None:
    with session_scope() as s:
        for challenge in s.execute(select(Challenge)).scalars():
            challenge.created_at -= delta
            challenge.expires_at -= delta
            if challenge.used_at is not None:
                challenge.used_at -= delta


async def test_ingen_kode_after_an_earlier_right_code_writes_an_unverified_ticket(register):
    """Shared computer: the previous person verified five minutes ago in this session; the
    next one starts an erasure, a new code goes out, they answer «ingen kode»."""
    sender = "shared-computer"
    slots: Dict[str, Any] = {"request_kind": "access"}
    await form_step(slots, "identifier", OLA_EMAIL, sender)
    assert await form_step(slots, "otp_code", last_code(OLA_EMAIL), sender) == ["utter_code_ok"]
    assert "utter_request_registered_verified" in await submit_form(slots, sender)
    age_challenges(timedelta(minutes=5))  # well within the 15 minutes an answer counts
    second: Dict[str, Any] = {"request_kind": "erasure", "challenge_id": slots["challenge_id"]}
    await form_step(second, "identifier", OLA_EMAIL, sender)
    assert second["challenge_id"] != slots["challenge_id"]  # a new code was sent
    said = await form_step(second, "otp_code", OTP_SKIP, sender)
    assert said == ["utter_code_skipped"]  # «Da kan jeg ikke bekrefte identiteten din her»
    words = await submit_form(second, sender)
    assert "utter_request_registered_unverified" in words
    assert "utter_request_registered_verified" not in words
    with session_scope() as s:
        erasure = s.execute(
            select(PrivacyRequest).where(PrivacyRequest.kind == "erasure")
        ).scalar_one()
        assert erasure.verified is False and erasure.status == "received"


async def test_the_bot_never_says_verified_for_an_unverified_ticket(register):
    """A forged ``verification`` "ok" with an earlier request's challenge: unverified, and
    said so."""
    sender = "replay"
    slots: Dict[str, Any] = {"request_kind": "access"}
    await form_step(slots, "identifier", OLA_EMAIL, sender)
    assert await form_step(slots, "otp_code", last_code(OLA_EMAIL), sender) == ["utter_code_ok"]
    age_challenges(timedelta(minutes=16))  # the answer is older than VERIFIED_FOR
    words = await submit_form(slots, sender)
    assert "utter_request_registered_unverified" in words
    (row,) = [r for r in requests_rows() if r["kind"] == "access"]
    assert row["verified"] is False


def requests_rows() -> List[dict]:
    with session_scope() as s:
        return [requests.request_row(r) for r in requests.list_requests(s)]


def test_a_channel_proof_expires_and_counts_only_on_its_channel(register):
    identity.record_channel_proof("sms-0123456789abcdef0123456789abcdef", "twilio_sms", OLA_PHONE)
    conversation = "sms-0123456789abcdef0123456789abcdef"
    # a REST turn on the SMS conversation's id: no proof
    on_rest = identity.verified_customer_for(conversation, OLA_PHONE, channel="rest")
    assert on_rest is None
    rest = submit(conversation, OLA_PHONE, kind="erasure", otp="channel")
    assert rest.verified is False
    assert identity.verified_customer_for(conversation, OLA_PHONE, channel="twilio_sms")
    with session_scope() as s:
        s.execute(update(ChannelIdentity).values(verified_at=utcnow() - timedelta(minutes=16)))
    assert identity.verified_customer_for(conversation, OLA_PHONE, channel="twilio_sms") is None
    assert identity.channel_proved_customer(conversation, "twilio_sms") is None
    # the next SMS from the number proves it again
    identity.record_channel_proof(conversation, "twilio_sms", OLA_PHONE)
    assert identity.verified_customer_for(conversation, OLA_PHONE, channel="twilio_sms")


# --- the lock-out is per contact point ------------------------------------------------------


STAFF = "personvern@miljovarme.example.com"


@pytest.fixture
def staffed(register, monkeypatch):
    from bot.config import get_settings

    monkeypatch.setenv("KLBOT_STAFF_EMAIL", STAFF)
    monkeypatch.delenv("KLBOT_STAFF_PHONE", raising=False)
    get_settings.cache_clear()
    yield register
    get_settings.cache_clear()


async def first_wrong_code(sender: str, identifier: str) -> tuple:
    slots: Dict[str, Any] = {"request_kind": "access"}
    started = await form_step(slots, "identifier", identifier, sender)
    said = await form_step(slots, "otp_code", "000000", sender)
    keep = ("otp_code", "verification", "otp_state", "otp_attempts_left", "verified")
    return started, said, {k: slots.get(k) for k in keep}


def staff_messages() -> List[str]:
    with session_scope() as s:
        return list(
            s.execute(select(OutboxMessage.body).where(OutboxMessage.to == STAFF)).scalars()
        )


async def test_ten_wrong_codes_on_one_phone_do_not_change_the_customers_other_contact_point(
    staffed,
):
    """Attack: lock Ola's phone with 10 wrong codes, then test whether an e-mail belongs to
    the same person (and lock them out of the chat) by how its first wrong code answers."""
    for i in range(2):  # 2 conversations x 5 wrong codes
        slots: Dict[str, Any] = {"request_kind": "access"}
        await form_step(slots, "identifier", OLA_PHONE, f"locker-{i}")
        for _ in range(5):
            said = await form_step(slots, "otp_code", "000000", f"locker-{i}")
            if "utter_code_locked" in said:
                break
    age_challenges(timedelta(minutes=61))  # past the hourly code limit
    ola = await first_wrong_code("probe-ola", OLA_EMAIL)
    stranger = await first_wrong_code("probe-stranger", "noen.andre@example.no")
    other_customer = await first_wrong_code("probe-other", "post@hemnesgard.no")
    assert ola == stranger == other_customer
    assert ola[2]["otp_state"] == "wrong" and ola[2]["otp_attempts_left"] == "4"
    # the real customer still verifies on the e-mail the same day
    slots = {"request_kind": "access"}
    age_challenges(timedelta(minutes=2))
    await form_step(slots, "identifier", OLA_EMAIL, "ola-later")
    assert await form_step(slots, "otp_code", last_code(OLA_EMAIL), "ola-later") == [
        "utter_code_ok"
    ]
    # staff were told once, without personal data
    alerts = [body for body in staff_messages() if "sperret" in body]
    assert len(alerts) == 1
    for private in ("Ola", "Nordmann", OLA_PHONE, "41234567", OLA_EMAIL, "10002"):
        assert private not in alerts[0]


# --- replies never reveal another conversation's tickets -----------------------------------


async def no_code_erasure(sender: str, identifier: str) -> List[dict]:
    slots: Dict[str, Any] = {"request_kind": "erasure"}
    await form_step(slots, "identifier", identifier, sender)
    await form_step(slots, "otp_code", OTP_SKIP, sender)
    dispatcher = CollectingDispatcher()
    await ActionSubmitRightsRequest().run(dispatcher, tracker(sender, slots), {})
    return dispatcher.messages


async def test_an_unproven_conversation_never_sees_another_conversations_ticket(register):
    first = await no_code_erasure("first-asker", OLA_EMAIL)
    (first_ref,) = {m["reference"] for m in first if m.get("reference")}
    age_challenges(timedelta(minutes=2))
    probe = await no_code_erasure("prober", OLA_EMAIL)
    responses = [m.get("response") for m in probe]
    assert "utter_request_already_open" not in responses
    refs = {m["reference"] for m in probe if m.get("reference")}
    assert first_ref not in refs and len(refs) == 1
    assert first_ref not in str(probe)
    # the two are linked in the background, for staff
    (probe_ref,) = refs
    assert ticket(probe_ref)["details"]["possible_duplicates"] == [first_ref]
    # the same conversation asking again is told its own reference (one ticket)
    age_challenges(timedelta(minutes=2))
    again = await no_code_erasure("prober", OLA_EMAIL)
    assert [m["reference"] for m in again if m.get("response") == "utter_request_already_open"] == [
        probe_ref
    ]


# --- floods do not reach staff ---------------------------------------------------------------


def test_ten_stopp_from_one_number_make_one_ticket_and_one_alert(staffed):
    from bot.register import suppressions

    for _ in range(10):
        with session_scope() as s:
            suppressions.opt_out(
                s,
                channels=["sms"],
                address=OLA_PHONE,
                source_channel="twilio_sms",
                verified_phone=OLA_PHONE,
            )
    opt_outs = [r for r in requests_rows() if r["kind"] == "opt_out"]
    assert len(opt_outs) == 1
    assert len(staff_messages()) == 1
    # the chat's opt-out of the same number again: the same words, the earlier reference
    again = suppressions.submit_opt_out(channels=["sms"], address=OLA_PHONE, source_channel="rest")
    assert again == opt_outs[0]["reference"]
    assert len([r for r in requests_rows() if r["kind"] == "opt_out"]) == 1


def test_a_complaint_flood_gives_staff_one_message_per_five_minutes_with_the_count(staffed):
    for i in range(14):
        requests.submit_request(
            kind="complaint",
            channel="rest",
            identifier=None,
            verified=False,
            details={"about": f"klage {i}"},
            conversation_id=f"flood-{i}",
        )
    messages = staff_messages()
    assert len(messages) == 2, messages  # the first at once, the rest counted into one
    assert "13 nye personvernsaker" in messages[1]
    with session_scope() as s:
        batch = s.execute(
            select(OutboxMessage).where(OutboxMessage.body == messages[1])
        ).scalar_one()
        assert batch.next_attempt_at is not None  # held to the end of the window


def test_anonymous_complaints_are_one_ticket_per_conversation(staffed):
    refs = {
        requests.submit_request(
            kind="complaint",
            channel="rest",
            identifier=None,
            verified=False,
            details={"about": f"klage {i}"},
            conversation_id="one-conversation",
        ).reference
        for i in range(5)
    }
    assert len(refs) == 1
    (row,) = requests_rows()
    assert row["attempts"] == 5 and len(row["details"]["about_more"]) == 4


def complaint_tracker(sender: str, client: str, channel: str = "rest") -> Tracker:
    parse = {"intent": {"name": "inform", "confidence": 1.0}, "entities": []}
    user = {
        "event": "user",
        "text": "nei",
        "parse_data": parse,
        "input_channel": channel,
        "metadata": {"channel": channel, "client": client},
    }
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {
                "complaint_text": "Dere svarer aldri",
                "complaint_contact": None,
                "complaint_no_reply": True,  # «nei»: no answer wanted, so no contact point
            },
            "latest_message": {"text": "nei", **parse},
            "events": [user],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        }
    )


async def test_anonymous_complaints_are_limited_per_client_address(staffed, monkeypatch):
    from actions import complaint
    from bot.channels.rate_limit import client_key
    from bot.config import get_settings

    monkeypatch.setenv("KLBOT_RATE_LIMITS", "on")
    get_settings.cache_clear()
    monkeypatch.setattr(complaint, "_complaint_limits", {})
    office = client_key("203.0.113.50")
    written = []
    for i in range(6):  # a new conversation each time, one address
        dispatcher = CollectingDispatcher()
        await complaint.ActionSubmitComplaint().run(
            dispatcher, complaint_tracker(f"anon-{i}", office), {}
        )
        written.append(any(m.get("reference") for m in dispatcher.messages))
    assert written == [True] * 3 + [False] * 3
    assert "ikke registrert" in dispatcher.messages[-1]["text"]
    complaints = [r for r in requests_rows() if r["kind"] == "complaint"]
    assert len(complaints) == 3
    # another address is not affected
    dispatcher = CollectingDispatcher()
    elsewhere = complaint_tracker("anon-x", client_key("198.51.100.99"))
    await complaint.ActionSubmitComplaint().run(dispatcher, elsewhere, {})
    assert any(m.get("reference") for m in dispatcher.messages)
