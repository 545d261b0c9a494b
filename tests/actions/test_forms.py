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


def tracker(**slots) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "test-forms",
            "slots": slots,
            "latest_message": {},
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
