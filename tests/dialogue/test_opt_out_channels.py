"""Item 5 (issue 18): an opt-out stops exactly the channels named, never one the customer
wants to keep. Whole conversations (tests/support/dialogue.py); the register is read after."""

from __future__ import annotations

import pytest
from sqlalchemy import select

KNOWN_EMAIL = "ola.nordmann@example.no"  # demo customer 10002


def suppressed() -> set:
    from bot.register.db import session_scope
    from bot.register.models import Suppression

    with session_scope() as s:
        return {row.channel for row in s.execute(select(Suppression)).scalars()}


@pytest.mark.parametrize(
    "text,stopped",
    [
        ("Kan dere stoppe reklame på e-post men fortsette å sende brev?", {"email"}),
        ("stopp reklame på e-post men fortsett å sende brev", {"email"}),
        ("stopp reklame på e-post, brev er greit", {"email"}),
        ("stop marketing emails but keep sending letters", {"email"}),
        ("stopp reklame, men send gjerne brev", {"sms", "email"}),
        ("stopp all reklame", {"sms", "email", "post"}),  # control: everything
    ],
)
def test_an_opt_out_stops_exactly_the_channels_named(chat, text, stopped):
    c = chat()
    c.say(text, "request_opt_out", 0.9)
    turn = c.say(KNOWN_EMAIL, "inform")
    assert "PV-" in turn.text or "stoppet" in turn.text or "stopped" in turn.text, turn
    assert suppressed() == stopped
    if "post" not in stopped:
        assert "brev" not in turn.text and "letter" not in turn.text, turn
