"""Item 1 (issue 18): a no to the complaint offer is a no, never the complaint's text.

Whole conversations through the real rules, Rasa's FormAction and actions/complaint.py
(tests/support/dialogue.py), with the register read afterwards: no junk ticket.
"""

from __future__ import annotations

import pytest

from tests.dialogue.conftest import tickets

NOT_WRITTEN = "jeg har ikke skrevet noen klage"


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
