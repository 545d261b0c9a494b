"""The actions of issue 13 without servers: a real Tracker, a CollectingDispatcher and a real
SQLite register. Complaints become tickets; a repeated request attaches to the open ticket
and the customer gets its reference; the status answer shows due dates and days left."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.complaint import (
    ActionStartComplaint,
    ActionSubmitComplaint,
    ValidateComplaintForm,
    complaint_in_message,
)
from actions.rights import ActionSubmitRightsRequest
from actions.status import report_status
from bot.config import get_settings
from bot.register import identity, requests
from bot.register.customers import import_csv
from bot.register.db import session_scope, upgrade
from bot.register.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
STAFF = "personvern@miljovarme.example.com"
OLA = "ola.nordmann@example.no"


@pytest.fixture
def register(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'register.db'}"
    monkeypatch.setenv("KLBOT_DATABASE_URL", url)
    monkeypatch.setenv("KLBOT_STAFF_EMAIL", STAFF)
    monkeypatch.setenv("KLBOT_NOTIFIER", "outbox")
    get_settings.cache_clear()
    upgrade(url)
    with session_scope(url) as s:
        import_csv(s, ROOT / "demo" / "customers.csv")
    yield url
    get_settings.cache_clear()


def tracker(
    text: str = "",
    intent: str = "inform",
    slots: dict = None,
    channel: str = "rest",
    metadata: dict = None,
    sender: str = "conv-1",
) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": []}
    event = {
        "event": "user",
        "text": text,
        "parse_data": message,
        "input_channel": channel,
        "metadata": metadata or {},
    }
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": slots or {},
            "latest_message": message,
            "events": [event],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def prove(sender: str, identifier: str = OLA) -> dict:
    """A real identity check in the register for this conversation: the code is read from
    the outbox (the development notifier keeps it), as the customer would read it."""
    started = identity.start_check(sender, identifier, message=lambda code: f"Kode {code}")
    with session_scope() as s:
        body = s.execute(
            select(OutboxMessage.body).order_by(OutboxMessage.id.desc()).limit(1)
        ).scalar_one()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    assert identity.check_code(sender, started.challenge_id, code).status == "ok"
    # what the form holds once this request's code was right
    return {"challenge_id": started.challenge_id, "verification": "ok"}


def run(action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def outbox(url: str, to: str):
    with session_scope(url) as s:
        return [
            m.body for m in s.execute(select(OutboxMessage).where(OutboxMessage.to == to)).scalars()
        ]


def test_a_complaint_written_out_is_kept_and_a_question_is_not():
    assert complaint_in_message("Dere sendte meg reklame på SMS etter at jeg sa stopp")
    assert not complaint_in_message("Hvordan kan jeg klage på dere?")
    assert not complaint_in_message("jeg vil klage")
    messages, events = run(
        ActionStartComplaint(),
        tracker("Dere sendte meg reklame etter at jeg sa stopp, svar på kari@example.com"),
    )
    assert messages[0]["response"] == "utter_ask_complaint"
    slots = {e["name"]: e["value"] for e in events}
    assert slots["complaint_text"].startswith("Dere sendte")
    assert slots["complaint_contact"] == "kari@example.com"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("hvordan klager jeg?", "ask_complaint"),
        ("Hvordan klager jeg", "ask_complaint"),
        ("Hvor sender jeg en klage til Datatilsynet?", "ask_complaint"),
        ("How do I complain?", "ask_complaint"),
        ("hvor lenge lagrer dere opplysningene", "ask_retention"),
    ],
)
def test_a_short_question_while_the_complaint_is_wanted_is_not_the_complaint(text, intent):
    """The form leaves it (its rule answers the question, the form asks again)."""
    asked = tracker(text, intent=intent, slots={"requested_slot": "complaint_text"})
    got = asyncio.run(
        ValidateComplaintForm().extract_complaint_text(CollectingDispatcher(), asked, {})
    )
    assert got == {}


@pytest.mark.parametrize(
    "text, intent",
    [
        ("Dere sendte meg reklame på SMS etter at jeg sa stopp", "ask_complaint"),
        ("jeg er misfornøyd med at dere delte adressen min", "ask_complaint"),
        (
            "Dere har sendt meg reklame i tre år selv om jeg har sagt nei, hvordan kan det ha seg?",
            "ask_complaint",
        ),
        ("dere ringer meg hele tiden", "request_opt_out"),
    ],
)
def test_a_complaint_that_reads_as_a_question_intent_is_kept(text, intent):
    asked = tracker(text, intent=intent, slots={"requested_slot": "complaint_text"})
    got = asyncio.run(
        ValidateComplaintForm().extract_complaint_text(CollectingDispatcher(), asked, {})
    )
    assert got == {"complaint_text": text}


def test_no_answer_wanted_and_no_complaint_after_all():
    form = ValidateComplaintForm()
    asked_contact = tracker(
        "nei takk", intent="deny", slots={"requested_slot": "complaint_contact"}
    )
    got = asyncio.run(form.extract_complaint_contact(CollectingDispatcher(), asked_contact, {}))
    assert got == {"complaint_no_reply": True}
    asked_text = tracker("nei", intent="deny", slots={"requested_slot": "complaint_text"})
    got = asyncio.run(form.extract_complaint_text(CollectingDispatcher(), asked_text, {}))
    assert got == {"complaint_declined": True}
    messages, _ = run(ActionSubmitComplaint(), tracker(slots={"complaint_declined": True}))
    assert [m["response"] for m in messages] == ["utter_complaint_not_written"]


def test_a_complaint_becomes_an_unverified_ticket_with_one_staff_alert(register):
    slots = {"complaint_text": "Reklame etter stopp", "complaint_contact": "kari@example.com"}
    messages, events = run(ActionSubmitComplaint(), tracker(slots=slots))
    assert messages[0]["response"] == "utter_complaint_registered_reply"
    reference = messages[0]["reference"]
    with session_scope(register) as s:
        ticket = requests.get_by_reference(s, reference)
        assert (ticket.kind, ticket.status, ticket.verified) == ("complaint", "received", False)
        assert ticket.details["about"] == "Reklame etter stopp"
        assert (ticket.reply_channel, ticket.reply_to) == ("email", "kari@example.com")
    assert len(outbox(register, STAFF)) == 1
    assert {e["name"] for e in events} == {"complaint_text", "complaint_contact"}
    anonymous, _ = run(ActionSubmitComplaint(), tracker(slots={"complaint_text": "Dårlig"}))
    assert anonymous[0]["response"] == "utter_complaint_registered_anonymous"


def test_the_same_request_twice_gives_the_same_reference_and_one_confirmation(register):
    slots = {
        "request_kind": "access",
        "identifier": OLA,
        "verified": True,
        "verification_method": "otp_email",
        "verification": "ok",
    }
    one, two = prove("conv-1"), prove("conv-2")
    first, _ = run(ActionSubmitRightsRequest(), tracker(slots={**slots, **one}))
    second, _ = run(ActionSubmitRightsRequest(), tracker(slots={**slots, **two}, sender="conv-2"))
    assert first[-1]["response"] == "utter_request_registered_verified"
    assert second[-1]["response"] == "utter_request_already_open"
    assert second[-1]["reference"] == first[-1]["reference"]
    assert len([b for b in outbox(register, OLA) if "har mottatt" in b]) == 1
    assert len(outbox(register, STAFF)) == 1


def test_a_telegram_request_is_closed_on_telegram(register):
    slots = {"request_kind": "erasure", "identifier": "ukjent@example.com", "verified": False}
    t = tracker(slots=slots, channel="telegram", metadata={"chat_id": 4242})
    messages, _ = run(ActionSubmitRightsRequest(), t)
    reference = messages[-1]["reference"]
    with session_scope(register) as s:
        requests.update_status(s, reference, "rejected", actor="kjell", category="identity")
    (notice,) = outbox(register, "4242")
    assert reference in notice and "ukjent" not in notice


def test_the_status_answer_shows_due_dates_and_days_left_one_message_each(register):
    slots = {"request_kind": "access", "identifier": OLA, "verified": True}
    slots.update(prove("conv-1"))
    for kind in ("access", "erasure"):
        run(ActionSubmitRightsRequest(), tracker(slots={**slots, "request_kind": kind}))
    dispatcher = CollectingDispatcher()
    asyncio.run(report_status(dispatcher, tracker(slots={**slots, "request_kind": "status"})))
    messages = dispatcher.messages
    assert messages[0]["response"] == "utter_status_header"
    lines = [m["text"] for m in messages[1:]]
    assert len(lines) == 2 and all(len(line) <= 320 for line in lines)
    assert all("Frist " in line and "(om 3" in line for line in lines), lines
    assert "Innsyn" in lines[0] or "Sletting" in lines[0]
    assert OLA not in json.dumps(messages)


def test_no_status_without_verification(register):
    dispatcher = CollectingDispatcher()
    asyncio.run(report_status(dispatcher, tracker(slots={"identifier": OLA})))
    assert [m["response"] for m in dispatcher.messages] == ["utter_status_unverified"]


def test_the_ticket_keeps_the_conversations_language_for_every_kind_of_action(register):
    """Issue 19: the actions set the ticket's language from the conversation."""
    english = {"request_kind": "erasure", "identifier": "nobody@example.com", "language": "en"}
    messages, _ = run(ActionSubmitRightsRequest(), tracker(slots=english))
    complaint = {"complaint_text": "Too much mail", "language": "en"}
    complained, _ = run(ActionSubmitComplaint(), tracker(slots=complaint, sender="conv-3"))
    norwegian = {"request_kind": "access", "identifier": "noen@example.com"}
    norsk, _ = run(ActionSubmitRightsRequest(), tracker(slots=norwegian, sender="conv-4"))
    with session_scope(register) as s:
        assert requests.get_by_reference(s, messages[-1]["reference"]).language == "en"
        assert requests.get_by_reference(s, complained[0]["reference"]).language == "en"
        assert requests.get_by_reference(s, norsk[-1]["reference"]).language == "nb"
    with session_scope(register) as s:
        requests.update_status(
            s, messages[-1]["reference"], "rejected", actor="kjell", category="identity"
        )
    (notice,) = outbox(register, "nobody@example.com")
    assert "has been rejected" in notice
