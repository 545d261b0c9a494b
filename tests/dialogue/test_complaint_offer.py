"""Item 1 (issue 18): a no to the complaint offer is a no, never the complaint's text.

Whole conversations through the real rules, Rasa's FormAction and actions/complaint.py
(tests/support/dialogue.py), with the register read afterwards: no junk ticket.
"""

from __future__ import annotations

import pytest

from tests.dialogue.conftest import tickets

NOT_WRITTEN = "jeg har ikke skrevet noen klage"
ANYTHING_ELSE = "noe annet jeg kan hjelpe med"  # utter_anything_else, the rule for «nei»


@pytest.mark.parametrize(
    "text",
    [
        "nei takk, ikkje no",
        "nei, jeg går rett til Datatilsynet jeg",
        "nei takk",
        "ikke nå",
        "nei, jeg klager heller til Datatilsynet selv",
    ],
)
# the NLU reads a decline as many things: each must end the same way
@pytest.mark.parametrize("intent", ["deny", "ask_complaint", "inform", "nlu_fallback"])
def test_a_no_to_the_complaint_offer_writes_no_complaint(chat, text, intent):
    c = chat()
    first = c.say("jeg vil klage", "ask_complaint")
    assert "skriver ned klagen" in first.text
    turn = c.say(text, intent, 0.6)
    assert NOT_WRITTEN in turn.text, turn
    # the form itself takes the no: never rejected, so no rule outside it answers first
    assert turn.actions[0] == "complaint_form", turn.actions
    assert ANYTHING_ELSE not in turn.text, turn
    assert c.form is None
    assert tickets() == []


def test_a_complaint_after_the_offer_is_written_as_it_stands(chat):
    """Control: the complaint itself is still the complaint, with its answer refused."""
    c = chat()
    c.say("jeg vil klage", "ask_complaint")
    about = "Dere sendte meg reklame på SMS etter at jeg hadde reservert meg"
    c.say(about, "ask_complaint", 0.7)
    turn = c.say("nei takk", "deny")
    assert "PV-" in turn.text, turn
    (ticket,) = tickets()
    assert ticket["kind"] == "complaint" and ticket["details"]["about"] == about
    assert ticket["details"]["wants_answer"] is False


def test_a_nei_that_is_a_complaint_is_kept(chat):
    """A long complaint that starts with «nei» is not a decline."""
    c = chat()
    c.say("jeg vil klage", "ask_complaint")
    about = "Nei, det er ikke greit at dere ringte meg tre ganger om strømavtaler i går kveld"
    c.say(about, "ask_complaint", 0.7)
    c.say("ola.nordmann@example.no", "inform")
    (ticket,) = tickets()
    assert ticket["details"]["about"] == about


def test_the_no_button_declines(chat):
    c = chat()
    c.say("jeg vil klage", "ask_complaint")
    turn = c.say("/deny", "deny", 1.0)
    assert NOT_WRITTEN in turn.text and tickets() == []


@pytest.mark.parametrize("text", ["nei takk", "nei", "ingen", "trenger ikke svar"])
@pytest.mark.parametrize("intent", ["deny", "inform", "nlu_fallback"])
def test_no_answer_wanted_is_taken_by_the_form_with_no_stray_reply(chat, text, intent):
    """«Vil du ha svar?» answered no: the complaint is registered, and nothing else is said
    first (the form kept its «no answer» decision instead of rejecting the turn, which let
    the rule for «nei» outside a form ask «Er det noe annet jeg kan hjelpe med?»)."""
    c = chat()
    c.say("jeg vil klage", "ask_complaint")
    c.say("Dere sendte meg reklame på SMS etter at jeg hadde reservert meg", "ask_complaint", 0.7)
    turn = c.say(text, intent, 0.6)
    assert turn.actions[:2] == ["complaint_form", "action_submit_complaint"], turn.actions
    assert turn.text.startswith("Takk. Klagen er registrert"), turn.text
    assert ANYTHING_ELSE not in turn.text
    (ticket,) = tickets()
    assert ticket["details"]["wants_answer"] is False
    assert c.slot("complaint_no_reply") is None  # reset with the request


@pytest.mark.parametrize("intent", ["ask_marketing", "request_opt_out", "ask_complaint"])
def test_a_complaint_that_names_a_silent_topic_is_the_complaint(chat, intent):
    """«Dere ringte meg … selv om jeg har reservert meg mot telefonsalg» is the complaint, not
    a question about telemarketing: with the entities the pipeline's own detector gives it
    (before, «selv om» made it a question and the telemarketing answer took the turn; the
    customer's «nei takk» then declined a complaint that was never written)."""
    from bot.nlp.situations import SituationDetector

    c = chat()
    c.say("jeg vil klage", "ask_complaint")
    about = "Dere ringte meg om fjernvarme selv om jeg har reservert meg mot telefonsalg"
    turn = c.say(about, intent, 0.8, SituationDetector().entities_for(about))
    assert "Vil du ha svar?" in turn.text, turn
    c.say("nei takk", "deny")
    (ticket,) = tickets()
    assert ticket["details"]["about"] == about
