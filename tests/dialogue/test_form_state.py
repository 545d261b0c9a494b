"""Issue 18, item 6: the rights form keeps its state in explicit slots, not in marker strings.

How the identity check ended is the categorical slot ``verification`` (ok, channel, failed,
skipped; None while undecided); once it is set, the form's required slots drop ``otp_code``
(``ValidateRightsForm.slots_to_ask``, rasa_sdk's dynamic form), so ``otp_code`` only ever
holds what the customer typed, or nothing. Whole conversations through the real rules, Rasa's
FormAction and the real validation against a real SQLite register (tests/support/dialogue.py);
after every one, each slot event the tracker holds is checked for a marker.
"""

from __future__ import annotations

import re
from typing import Any, List

import pytest
from rasa.shared.core.events import SlotSet, UserUttered

from actions import rights
from bot.register import identity
from bot.register.verification import CODES_PER_HOUR, MAX_ATTEMPTS
from tests.dialogue.conftest import codes_sent, tickets
from tests.support.domain import domain_dict

PHONE = "912 34 567"  # demo customer 10001
PHONE_E164 = "+4791234567"
WRONG = "000000"

# every marker the form's code knows; none may ever be a slot's value in the tracker
MARKERS = {
    rights.LIMITED,
    rights.OTP_SKIP,
    rights.OTP_NEW,
    rights.OTP_INVALID,
    rights.OTP_RESUMED,
    rights.FIELD_INVALID,
    rights.CONFIRM_UNCLEAR,
}


def slot_events(c) -> List[SlotSet]:
    return [e for e in c.tracker.events if isinstance(e, SlotSet)]


def typed(c) -> List[str]:
    return [e.text or "" for e in c.tracker.events if isinstance(e, UserUttered)]


def assert_state_in_slots(c) -> None:
    """No slot ever held a marker; ``otp_code`` only ever held a code the customer typed."""
    said = " ".join(typed(c))
    for event in slot_events(c):
        value: Any = event.value
        assert not (isinstance(value, str) and value in MARKERS), (event.key, value)
        assert not (isinstance(value, str) and re.fullmatch(r"__\w+__", value)), event
        if event.key == "otp_code" and value is not None:
            assert value not in rights.DECIDED, value
            assert re.fullmatch(r"\d{6}", str(value)) and str(value) in said, value
        if event.key == "verification":
            assert value is None or value in rights.DECIDED, value


def at_the_code_step(chat, request="jeg vil ha innsyn", intent="request_access", phone=PHONE):
    c = chat()
    c.say(request, intent)
    c.say(phone, "inform")
    assert c.form == "rights_form" and c.slot("requested_slot") == "otp_code"
    assert c.slot("verification") is None
    return c


# --- the domain and the form's required slots ----------------------------------------------


def test_the_verification_slot_is_categorical_with_the_decided_values():
    slot = domain_dict()["slots"]["verification"]
    assert slot["type"] == "categorical"
    assert slot["values"] == list(rights.DECIDED)
    assert slot["influence_conversation"] is False
    assert "verification" not in domain_dict()["forms"]["rights_form"]["required_slots"]


@pytest.mark.parametrize("kind", ["access", "correction", "objection", "status"])
def test_the_code_is_asked_only_while_the_check_is_undecided(kind):
    from rasa_sdk import Tracker

    def asked(verification):
        slots = {"request_kind": kind, "verification": verification}
        return rights.ValidateRightsForm().slots_to_ask(
            Tracker("t", slots, {}, [], False, None, {}, "")
        )

    assert "otp_code" in asked(None)
    for decided in rights.DECIDED:
        assert "otp_code" not in asked(decided)
        assert asked(decided) == [s for s in asked(None) if s != "otp_code"]


def test_the_request_slots_that_are_reset_include_verification():
    from actions.base import REQUEST_SLOTS

    assert "verification" in REQUEST_SLOTS


# --- every way the check ends ----------------------------------------------------------------


def test_a_right_code_sets_verification_ok_and_leaves_no_code_in_the_slot(chat):
    c = at_the_code_step(chat)
    c.say(codes_sent()[-1], "inform")
    assert c.form is None
    (ticket,) = tickets()
    assert ticket["verified"] is True
    assert ticket["details"].get("verification") in (None, "ok")  # verified: no such note
    ok = [e.value for e in slot_events(c) if e.key == "verification"]
    assert "ok" in ok and c.slot("verification") is None  # reset when the request ended
    assert c.slot("otp_code") is None
    assert_state_in_slots(c)


def test_a_wrong_code_then_the_right_one(chat):
    c = at_the_code_step(chat)
    c.say(WRONG, "inform")
    assert c.slot("otp_state") == "wrong" and c.slot("verification") is None
    assert c.slot("requested_slot") == "otp_code" and c.slot("otp_code") is None
    c.say(codes_sent()[-1], "inform")
    (ticket,) = tickets()
    assert ticket["verified"] is True
    assert_state_in_slots(c)


@pytest.mark.parametrize("text,intent", [("ingen kode", "cancel"), ("nei", "deny")])
def test_no_code_sets_verification_skipped(chat, text, intent):
    c = at_the_code_step(chat, "jeg vil bli slettet", "request_erasure")
    c.say(text, intent)
    assert c.form is None
    (ticket,) = tickets()
    assert ticket["verified"] is False
    assert ticket["details"]["verification"] == "skipped"  # what the staff see, as before
    assert_state_in_slots(c)


def test_a_new_code_an_unclear_answer_and_a_digression_leave_no_marker(chat):
    c = at_the_code_step(chat)
    c.say("send meg en ny kode", "inform")
    assert c.slot("otp_state") in ("wait", "resent") and c.slot("otp_code") is None
    c.say("hei på deg", "inform")
    assert c.slot("otp_state") == "invalid" and c.slot("otp_code") is None
    c.say("hvor lenge lagrer dere opplysningene?", "ask_retention")
    assert c.slot("otp_state") == "resumed" and c.slot("otp_code") is None
    assert c.slot("requested_slot") == "otp_code" and c.slot("verification") is None
    c.say(codes_sent()[-1], "inform")
    (ticket,) = tickets()
    assert ticket["verified"] is True
    assert_state_in_slots(c)


def test_a_locked_code_sets_verification_failed(chat):
    c = at_the_code_step(chat, "jeg vil bli slettet", "request_erasure")
    for _ in range(MAX_ATTEMPTS):
        c.say(WRONG, "inform")
        if c.form is None:
            break
    assert c.form is None
    assert "failed" in [e.value for e in slot_events(c) if e.key == "verification"]
    (ticket,) = tickets()
    assert ticket["verified"] is False and ticket["details"]["verification"] == "failed"
    assert_state_in_slots(c)


def test_a_limited_contact_point_sets_verification_failed(chat):
    for _ in range(CODES_PER_HOUR):
        c = at_the_code_step(chat)
        assert_state_in_slots(c)
    c = chat()
    c.say("jeg vil bli slettet", "request_erasure")
    c.say(PHONE, "inform")
    assert len(codes_sent()) == CODES_PER_HOUR  # no code more
    assert c.form is None  # the code step is skipped: nothing to ask
    assert "failed" in [e.value for e in slot_events(c) if e.key == "verification"]
    (ticket,) = tickets()
    assert ticket["verified"] is False and ticket["details"]["verification"] == "failed"
    assert_state_in_slots(c)


def test_the_channels_proof_sets_verification_channel_and_the_code_is_never_asked(chat):
    c = chat("twilio_sms", verified_phone=PHONE_E164)
    identity.record_channel_proof(c.sender, "twilio_sms", PHONE_E164)
    c.say("jeg vil bli slettet", "request_erasure")
    assert c.form is None and codes_sent() == []
    assert "channel" in [e.value for e in slot_events(c) if e.key == "verification"]
    assert "otp_code" not in [e.value for e in slot_events(c) if e.key == "requested_slot"]
    (ticket,) = tickets()
    assert ticket["verified"] is True
    assert_state_in_slots(c)


# --- the steps after the code, and the next request ------------------------------------------


def test_after_the_code_the_correction_is_asked_and_its_markers_never_stay(chat):
    c = at_the_code_step(chat, "opplysningene deres om meg er feil", "request_correction")
    c.say(codes_sent()[-1], "inform")
    assert c.slot("verification") == "ok" and c.slot("requested_slot") == "correction_field"
    c.say("tja", "inform")  # neither a field nor anything else: asked again
    assert c.slot("correction_field") is None and c.slot("requested_slot") == "correction_field"
    c.say("adressen", "inform", entities=[{"entity": "field", "value": "address"}])
    assert c.slot("correction_field") == "address"
    c.say("Nyveien 3, 8646 Korgen", "inform")
    assert c.slot("requested_slot") == "correction_confirmed"
    c.say("hmm", "inform")  # unclear: said so and asked again
    assert c.slot("correction_confirmed") is None
    c.say("ja", "affirm")
    (ticket,) = tickets()
    assert ticket["kind"] == "correction" and ticket["verified"] is True
    assert_state_in_slots(c)


def test_a_second_request_in_the_same_conversation_asks_for_its_own_code(chat):
    c = at_the_code_step(chat)
    c.say(codes_sent()[-1], "inform")
    assert c.form is None and c.slot("verification") is None
    c.say("jeg vil bli slettet", "request_erasure")
    assert c.slot("verification") is None
    c.say(PHONE, "inform")  # within a minute: the register asks to wait, or sends anew
    assert c.form == "rights_form"
    assert c.slot("requested_slot") in ("identifier", "otp_code")
    assert c.slot("verification") is None
    assert [t["verified"] for t in tickets()] == [True]  # the erasure is not written yet
    assert_state_in_slots(c)
