"""How the rights form talks (issues 11 and 13), without servers: the real form validation
and actions on a ``Tracker.from_dict`` with a CollectingDispatcher and a real SQLite register.

«nei, glem det» stops the form like «avbryt»; the code question asked again after a policy
answer claims no new code; a second status question while the register backs the check is
answered at once; an objection that says what it is about in the first message is not asked
again.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.rights import (
    ActionStartRequest,
    ValidateRightsForm,
)
from bot.register.customers import import_csv
from bot.register.db import session_scope, upgrade
from bot.register.models import Challenge, OutboxMessage
from tests.support.domain import domain as full_domain
from tests.support.domain import domain_dict

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = domain_dict()
PHONE = "+4791234567"  # demo customer 10001


@pytest.fixture
def register(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'register.db'}"
    monkeypatch.setenv("KLBOT_DATABASE_URL", url)
    upgrade(url)
    with session_scope(url) as s:
        import_csv(s, ROOT / "demo" / "customers.csv")
    return url


def user(text: str, intent: str, entities: Optional[List[dict]] = None) -> dict:
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.95},
            "entities": entities or [],
        },
        "input_channel": "rest",
        "metadata": {},
    }


def action(name: str) -> dict:
    return {"event": "action", "name": name}


def slot(name: str, value: Any) -> dict:
    return {"event": "slot", "name": name, "value": value}


def tracker(
    sender: str,
    slots: Dict[str, Any],
    events: List[dict],
    *,
    form: Optional[str] = "rights_form",
) -> Tracker:
    said = [e for e in events if e["event"] == "user"][-1]
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": slots,
            "latest_message": said["parse_data"],
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": form} if form else {},
            "latest_action_name": events[-1].get("name"),
        }
    )


async def validate(t: Tracker) -> tuple:
    """The form's validation as Rasa runs it: (slots it sets, responses it says)."""
    dispatcher = CollectingDispatcher()
    events = await ValidateRightsForm().run(dispatcher, t, DOMAIN)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return slots, [m.get("response") for m in dispatcher.messages]


def code_questions(slots: Dict[str, Any]) -> List[str]:
    """The text of the code question for these slots (Rasa's own variation filter)."""
    from rasa.core.nlg.generator import ResponseVariationFilter

    domain = full_domain()
    found = ResponseVariationFilter(domain.responses).responses_for_utter_action(
        "utter_ask_rights_form_otp_code", "rest", {"language": "nb", **slots}
    )
    return [v["text"] for v in found]


# --- 1. «nei, glem det» stops the form ---------------------------------------------------


@pytest.mark.parametrize(
    "text,intent",
    [("nei, glem det", "cancel"), ("glem det", "cancel"), ("nei", "deny"), ("nei takk", "deny")],
)
async def test_no_forget_it_when_asked_for_the_contact_point_is_not_an_invalid_address(
    text, intent
):
    slots = {"request_kind": "erasure", "requested_slot": "identifier"}
    events = [action("rights_form"), action("action_listen"), user(text, intent)]
    found, said = await validate(tracker("stop", slots, events))
    assert "identifier" not in found  # nothing taken: the form rejects, the cancel rule runs
    assert "utter_invalid_identifier" not in said


@pytest.mark.parametrize(
    "text,intent,slots_set,response",
    [
        # a contact point in the same message is still the answer
        ("nei, det er ola.nordmann@example.no", "deny", {"identifier"}, None),
        # something that is neither: said so, as before
        ("hei på deg", "inform", set(), "utter_invalid_identifier"),
    ],
)
async def test_an_answer_or_a_wrong_answer_to_the_contact_question_is_still_one(
    register, text, intent, slots_set, response
):
    slots = {"request_kind": "erasure", "requested_slot": "identifier"}
    events = [action("action_listen"), user(text, intent)]
    found, said = await validate(tracker("answer", slots, events))
    assert slots_set <= {k for k, v in found.items() if v}
    if response:
        assert response in said


@pytest.mark.parametrize(
    "text,intent,expected",
    [
        ("nei, glem det", "cancel", None),  # stops, like «avbryt»
        ("nei", "deny", "skipped"),  # no code: the request goes on unverified
        ("nei, fikk ingen kode", "cancel", "skipped"),
        ("ingen kode", "cancel", "skipped"),
    ],
)
async def test_at_the_code_question_only_a_plain_stop_cancels(text, intent, expected):
    slots = {
        "request_kind": "access",
        "requested_slot": "otp_code",
        "identifier": PHONE,
        "challenge_id": "c-1",
    }
    events = [action("action_listen"), user(text, intent)]
    found, _ = await validate(tracker("code", slots, events))
    assert found.get("verification") == expected
    assert found.get("otp_code") is None  # never a marker


# --- 2. back to the code question after a policy answer ------------------------------------


@pytest.mark.parametrize("state", [None, "resent", "wrong", "invalid", "wait"])
async def test_the_code_question_after_a_policy_answer_claims_no_new_code(state):
    slots = {
        "request_kind": "portability",
        "requested_slot": "otp_code",
        "identifier": PHONE,
        "challenge_id": "c-1",
        "otp_state": state,
        "otp_attempts_left": "4",
    }
    events = [
        action("rights_form"),
        action("action_listen"),
        user("hvor lenge lagrer dere opplysningene?", "ask_retention"),
        action("action_answer_question"),
        {"event": "bot", "text": "..."},
        action("rights_form"),  # the form comes back (its validation runs without a message)
    ]
    found, said = await validate(tracker("resume", slots, events))
    assert found.get("otp_state") == "resumed" and found.get("otp_code") is None
    assert said == []
    (question,) = code_questions({**slots, **found})
    assert not re.search(r"\bnå\b|\bny\b|nytt", question), question  # nothing «sent now»
    assert "engangskoden" in question and "ingen kode" in question


async def test_an_expired_code_is_still_expired_after_a_policy_answer():
    slots = {"requested_slot": "otp_code", "identifier": PHONE, "otp_state": "expired"}
    events = [
        action("action_listen"),
        user("hvem deler dere opplysningene med?", "ask_sharing"),
        action("action_answer_question"),
        action("rights_form"),
    ]
    found, _ = await validate(tracker("expired", slots, events))
    assert found.get("otp_state", "expired") == "expired"


async def test_the_first_code_question_still_says_the_code_was_sent():
    """Control: asked in the turn the contact point was given, the question says so."""
    (question,) = code_questions({"requested_slot": "otp_code", "otp_state": None})
    assert "sendt en engangskode" in question


# --- 3. a second status question ---------------------------------------------------------


def code_messages() -> int:
    with session_scope() as s:
        bodies = s.execute(select(OutboxMessage.body)).scalars()
        return sum("Engangskoden" in b for b in bodies)


async def verify_in(sender: str) -> List[dict]:
    """The identity check of a first status question: the events it leaves in the tracker."""
    form = ValidateRightsForm()
    dispatcher = CollectingDispatcher()
    slots = {"request_kind": "status", "requested_slot": "identifier"}
    first = tracker(sender, slots, [action("action_listen"), user("912 34 567", "inform")])
    result = await form.validate_identifier("912 34 567", dispatcher, first, {})
    with session_scope() as s:
        body = s.execute(select(OutboxMessage.body)).scalars().all()[-1]
    code = re.search(r"\b(\d{6})\b", body).group(1)
    slots.update(result, requested_slot="otp_code")
    checked = await form.validate_otp_code(
        code, dispatcher, tracker(sender, slots, [user(code, "inform")]), {}
    )
    assert checked["verified"] is True
    return [
        slot("identifier", result["identifier"]),
        slot("verification", "ok"),
        action("action_submit_rights_request"),
        action("action_reset_request"),
        slot("identifier", None),
        slot("verification", None),
    ]


async def second_status(sender: str, history: List[dict]) -> tuple:
    events = history + [action("action_listen"), user("hva er status nå?", "request_status")]
    dispatcher = CollectingDispatcher()
    started = await ActionStartRequest().run(dispatcher, tracker(sender, {}, events, form=None), {})
    slots = {e["name"]: e["value"] for e in started if e.get("event") == "slot"}
    said = [m.get("response") for m in dispatcher.messages]
    return slots, said


async def test_a_second_status_question_needs_its_own_code(register):
    """Issue 22: proof comes only from this request. A right code five minutes ago in this
    web session (a shared computer: the previous person) shows nobody the tickets now."""
    history = await verify_in("status-twice")
    assert code_messages() == 1
    slots, said = await second_status("status-twice", history)
    assert slots.get("verification") is None and "utter_start_request_status" in said


async def test_another_conversation_with_the_same_history_gets_no_shortcut(register):
    history = await verify_in("status-real")
    slots, said = await second_status("status-forged", history)  # the events, forged
    assert slots.get("verification") is None and "utter_start_request_status" in said


async def test_after_the_verification_has_lapsed_the_code_is_asked_again(register):
    history = await verify_in("status-late")
    with session_scope() as s:
        for challenge in s.execute(select(Challenge)).scalars():
            challenge.used_at -= timedelta(minutes=16)
    slots, said = await second_status("status-late", history)
    assert slots.get("verification") is None and "utter_start_request_status" in said


# --- 4. what an objection or a restriction is about, from the first message -----------------


@pytest.mark.parametrize(
    "text,intent,kind,taken",
    [
        (
            "jeg protesterer mot at dere bruker dataene mine til kundeundersøkelser",
            "request_objection",
            "objection",
            True,
        ),
        (
            "jeg vil begrense bruken av dataene mine til statistikk",
            "request_restriction",
            "restriction",
            True,
        ),
        (
            "jeg vil protestere mot at dere bruker meg i analyser",
            "request_objection",
            "objection",
            True,
        ),
        ("jeg vil protestere", "request_objection", "objection", False),
        (
            "jeg vil begrense tilgangen til opplysningene mine",
            "request_restriction",
            "restriction",
            False,
        ),
        (
            "jeg vil begrense behandlingen av opplysningene mine",
            "request_restriction",
            "restriction",
            False,
        ),
        (
            "jeg protesterer mot at dere bruker dataene mine",
            "request_objection",
            "objection",
            False,
        ),
    ],
)
async def test_the_first_message_says_what_is_objected_to_and_is_not_asked_again(
    text, intent, kind, taken
):
    slots = {"request_kind": kind, "requested_slot": None}
    events = [action("action_listen"), user(text, intent), action("action_start_request")]
    found, _ = await validate(tracker("details", slots, events))
    assert (found.get("request_details") == text) is taken, found
