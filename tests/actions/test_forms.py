"""What the three forms share (actions.base): after the register failed they ask nothing more,
and free text is kept folded and only with a letter in it. No servers, no register."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import folded_text
from actions.complaint import ValidateComplaintForm
from actions.opt_out import ValidateOptOutForm
from actions.rights import ValidateRightsForm

FORMS = [ValidateRightsForm, ValidateOptOutForm, ValidateComplaintForm]


def tracker(latest_message: dict | None = None, **slots) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "test-forms",
            "slots": slots,
            "latest_message": latest_message or {},
            "events": [],
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


@pytest.mark.parametrize("form", FORMS)
async def test_after_the_register_failed_a_form_asks_nothing_more(form):
    working = await form().required_slots([], CollectingDispatcher(), tracker(), {})
    failed = await form().required_slots(
        [], CollectingDispatcher(), tracker(register_error=True), {}
    )
    assert working and failed == []


@pytest.mark.parametrize(
    "typed, kept",
    [(" til   kundeundersøkelser\n", "til kundeundersøkelser"), ("ab", None), ("123 45", None)],
)
def test_free_text_is_kept_folded_and_only_with_a_letter(typed, kept):
    assert folded_text(typed) == kept


@pytest.mark.parametrize(
    "form, slot, refusal",
    [
        (ValidateRightsForm, "request_details", "utter_invalid_details"),
        (ValidateComplaintForm, "complaint_text", "utter_invalid_complaint_text"),
    ],
)
async def test_free_text_without_a_letter_is_refused_and_asked_again(form, slot, refusal):
    validate = getattr(form(), f"validate_{slot}")
    dispatcher = CollectingDispatcher()
    assert await validate("12 34", dispatcher, tracker(), {}) == {slot: None}
    assert [m["response"] for m in dispatcher.messages] == [refusal]
    dispatcher = CollectingDispatcher()
    assert await validate("  for  statistikk ", dispatcher, tracker(), {}) == {
        slot: "for statistikk"
    }
    assert dispatcher.messages == []


def said(text: str, intent: str, confidence: float) -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}


@pytest.mark.parametrize(
    "form, slot, asked",
    [
        (ValidateRightsForm, "request_details", {"request_kind": "objection"}),
        (ValidateComplaintForm, "complaint_text", {}),
        (ValidateOptOutForm, "contact_point", {"marketing_channel": ["post"]}),
    ],
)
@pytest.mark.parametrize(
    "text, intent", [("takk", "thank"), ("hei", "greet"), ("ha det bra", "goodbye")]
)
async def test_small_talk_is_not_taken_as_free_text(form, slot, asked, text, intent):
    """«takk» while the form wants free text is answered by the in-form rule, even when the
    NLU is only fairly sure (not stored as what the objection or the complaint is about)."""
    extract = getattr(form(), f"extract_{slot}")
    state = tracker(said(text, intent, 0.6), requested_slot=slot, **asked)
    assert await extract(CollectingDispatcher(), state, {}) == {}
    # a longer message of the same intent is still free text
    longer = f"{text} men dere sendte meg reklame i posten etter at jeg sa nei"
    state = tracker(said(longer, intent, 0.6), requested_slot=slot, **asked)
    assert (await extract(CollectingDispatcher(), state, {}))[slot]
