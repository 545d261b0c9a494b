"""Issue 18, item 4: someone else's data gets the route that fits, whatever request the NLU
took the message for, a status request included: never a form about the asker's own data
(a status or access form would send the asker a code)."""

from __future__ import annotations

import pytest

from tests.dialogue.conftest import codes_sent, tickets

DECEASED = [{"entity": "situation", "value": "deceased"}, {"entity": "question", "value": "how"}]


@pytest.mark.parametrize(
    "intent", ["request_status", "request_erasure", "request_access", "ask_rights", "inform"]
)
def test_a_deceased_relative_gets_the_route_and_no_form(chat, intent):
    c = chat()
    turn = c.say(
        "Faren min døde i vår. Hvordan får jeg slettet det dere har om ham?", intent, 0.65, DECEASED
    )
    assert c.form is None, turn
    assert "action_answer_question" in turn.actions, turn.actions
    assert "død" in turn.text.lower() or "dødsbo" in turn.text.lower(), turn.text
    assert codes_sent() == [] and tickets() == []
