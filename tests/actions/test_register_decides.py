"""The actions ask the register who is verified; slots and metadata are only hints.

Fast: the real actions on a ``Tracker.from_dict`` with a real SQLite register. Each test is
a forged tracker (what anyone reaching the action server could post) and fails if the
forgery gets a verified ticket, a status answer or a channel's trust.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.rights import ActionStartRequest, ActionSubmitRightsRequest, ValidateRightsForm
from bot.register import identity
from bot.register.db import session_scope
from bot.register.models import OutboxMessage, PrivacyRequest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def register(tmp_path, monkeypatch):
    from bot.register.customers import import_csv
    from bot.register.db import upgrade

    url = f"sqlite:///{tmp_path / 'register.db'}"
    monkeypatch.setenv("KLBOT_DATABASE_URL", url)
    upgrade(url)
    with session_scope(url) as s:
        import_csv(s, ROOT / "demo" / "customers.csv")
    return url


def tracker(
    sender: str,
    slots: Dict[str, Any],
    *,
    text: str = "ja",
    intent: str = "affirm",
    channel: str = "rest",
    metadata: Optional[dict] = None,
) -> Tracker:
    user = {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "entities": []},
        "input_channel": channel,
        "metadata": metadata or {},
    }
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 1.0},
                "entities": [],
            },
            "events": [user],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        }
    )


FORGED = {
    "request_kind": "erasure",
    "identifier": "+4791234567",
    "verification": "ok",
    "verified": True,
    "verification_method": "otp_sms",
}


def tickets() -> List[PrivacyRequest]:
    with session_scope() as s:
        return list(s.execute(select(PrivacyRequest)).scalars())


async def run(action, tracker: Tracker) -> List[dict]:
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, tracker, {})
    return dispatcher.messages


async def test_a_forged_verified_slot_writes_no_verified_ticket(register):
    messages = await run(ActionSubmitRightsRequest(), tracker("attacker", FORGED))
    (ticket,) = tickets()
    assert ticket.verified is False and ticket.status == "received"
    assert ticket.verification_method is None
    assert messages[-1]["response"] == "utter_request_registered_unverified"


async def test_a_forged_status_request_shows_nothing(register):
    await run(ActionSubmitRightsRequest(), tracker("earlier", FORGED))  # an open ticket exists
    forged = {**FORGED, "request_kind": "status"}
    messages = await run(ActionSubmitRightsRequest(), tracker("attacker", forged))
    assert [m["response"] for m in messages] == ["utter_status_unverified"]


async def test_forged_sms_metadata_without_the_connectors_proof_is_not_trusted(register):
    forged = tracker(
        "rest-attacker",
        {},
        intent="request_erasure",
        channel="twilio_sms",
        metadata={"verified_phone": "+4791234567"},
    )
    messages = await run(ActionStartRequest(), forged)
    assert "utter_channel_verified" not in [m["response"] for m in messages]
    slots = {**FORGED, "verification_method": "channel_twilio_sms", "verification": "channel"}
    await run(ActionSubmitRightsRequest(), tracker("rest-attacker", slots, channel="twilio_sms"))
    assert [t.verified for t in tickets()] == [False]


async def test_the_connectors_recorded_proof_is_trusted(register):
    identity.record_channel_proof("sms-conversation", "twilio_sms", "+4791234567")
    start = tracker(
        "sms-conversation",
        {},
        intent="request_erasure",
        channel="twilio_sms",
        metadata={"verified_phone": "+4791234567"},
    )
    messages = await run(ActionStartRequest(), start)
    assert "utter_channel_verified" in [m["response"] for m in messages]
    # what the form holds after the start (verification "channel"), but no "verified" slot
    slots = {"request_kind": "erasure", "identifier": "+4791234567", "verification": "channel"}
    await run(ActionSubmitRightsRequest(), tracker("sms-conversation", slots, channel="twilio_sms"))
    (ticket,) = tickets()
    assert ticket.verified is True and ticket.verification_method == "channel_twilio_sms"


async def test_a_code_answered_in_this_conversation_verifies_the_ticket(register):
    form = ValidateRightsForm()
    dispatcher = CollectingDispatcher()
    slots = {"request_kind": "access", "requested_slot": "identifier"}
    result = await form.validate_identifier(
        "91234567", dispatcher, tracker("real", slots, text="91234567"), {}
    )
    with session_scope() as s:
        body = s.execute(select(OutboxMessage.body)).scalar_one()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    slots.update(result, requested_slot="otp_code")
    checked = await form.validate_otp_code(code, dispatcher, tracker("real", slots, text=code), {})
    assert checked["verified"] is True
    slots.update(checked)
    await run(ActionSubmitRightsRequest(), tracker("real", {**slots, "verified": None}))
    (ticket,) = tickets()
    assert ticket.verified is True and ticket.verification_method == "otp_sms"
    # the same challenge id and code, replayed from another conversation, verify nothing
    replay = await form.validate_otp_code(code, dispatcher, tracker("other", slots, text=code), {})
    assert replay.get("verified") is not True


async def test_a_limited_contact_point_gets_the_limit_answer_known_or_not(register):
    answers = {}
    for name, number in (("known", "91234567"), ("unknown", "41999999")):
        for i in range(4):
            dispatcher = CollectingDispatcher()
            slots = {"request_kind": "access", "requested_slot": "identifier"}
            result = await ValidateRightsForm().validate_identifier(
                number, dispatcher, tracker(f"{name}-{i}", slots, text=number), {}
            )
        said = [m["response"] for m in dispatcher.messages]
        answers[name] = (said, result.get("verification"), result.get("otp_code"))
    assert answers["known"] == answers["unknown"] == (["utter_code_limit"], "failed", None)
