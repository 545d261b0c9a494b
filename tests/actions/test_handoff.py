"""Human handoff and the register-down fallback, tested the way Rasa's financial-demo tests
its actions: a ``Tracker.from_dict``, a ``CollectingDispatcher`` and a real SQLite register,
no servers, in milliseconds."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.base import RegisterUnavailable, apologise, register_call
from actions.handoff import ActionHumanHandoff
from bot.register import requests, suppressions
from bot.register.customers import import_csv
from bot.register.db import dispose, session_scope, upgrade
from bot.register.models import AuditEntry, OutboxMessage, PrivacyRequest
from tests.support.domain import domain_dict

ROOT = Path(__file__).resolve().parents[2]
DEMO_EMAIL = "ola.nordmann@example.no"  # demo/customers.csv
DOMAIN: Dict[str, Any] = {}


@pytest.fixture
def register(tmp_path, monkeypatch) -> str:
    """A migrated SQLite register with the demo customers, for this test only."""
    url = f"sqlite:///{tmp_path / 'register.db'}"
    monkeypatch.setenv("KLBOT_DATABASE_URL", url)
    upgrade(url)
    with session_scope(url) as session:
        import_csv(session, ROOT / "demo" / "customers.csv")
    yield url
    dispose(url)


def tracker(
    text: str,
    intent: str,
    *,
    active_loop: Optional[str] = None,
    channel: str = "rest",
    slots: Optional[Dict[str, Any]] = None,
) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.98},
        "entities": [],
    }
    return Tracker.from_dict(
        {
            "sender_id": "test-handoff",
            "slots": slots or {},
            "latest_message": message,
            "events": [
                {"event": "action", "name": "action_listen"},
                {"event": "user", "text": text, "parse_data": message, "input_channel": channel},
            ],
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


def rows(url: str) -> Dict[str, int]:
    with session_scope(url) as session:
        return {
            model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar()
            for model in (PrivacyRequest, OutboxMessage, AuditEntry)
        }


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("response") for m in dispatcher.messages]


async def test_handoff_gives_a_persons_contact_details_and_records_nothing(register):
    before = rows(register)
    dispatcher = CollectingDispatcher()
    events = await ActionHumanHandoff().run(
        dispatcher, tracker("kan jeg snakke med et menneske?", "human_handoff"), DOMAIN
    )
    assert responses(dispatcher) == ["utter_human_handoff"]
    assert events == []
    assert rows(register) == before


async def test_handoff_inside_a_form_says_how_to_go_on(register):
    dispatcher = CollectingDispatcher()
    events = await ActionHumanHandoff().run(
        dispatcher,
        tracker("jeg vil heller ringe noen", "human_handoff", active_loop="rights_form"),
        DOMAIN,
    )
    assert responses(dispatcher) == ["utter_human_handoff", "utter_handoff_in_form"]
    assert events == []  # the form stays active: the customer may still answer


async def test_handoff_logs_the_channel_and_no_personal_data(register, caplog):
    text = f"ring meg, jeg er {DEMO_EMAIL} på 41234567"
    with caplog.at_level(logging.INFO):
        await ActionHumanHandoff().run(
            CollectingDispatcher(), tracker(text, "human_handoff", channel="twilio_sms"), DOMAIN
        )
    assert "twilio_sms" in caplog.text
    assert DEMO_EMAIL not in caplog.text and "41234567" not in caplog.text


def test_the_handoff_answer_names_the_companys_phone_and_email():

    from bot.policy import COMPANY_EMAIL, COMPANY_PHONE

    domain = domain_dict()
    text = domain["responses"]["utter_human_handoff"][0]["text"]
    assert COMPANY_PHONE in text and COMPANY_EMAIL in text


# --- The fallback when the register is down ---------------------------------------------


async def test_a_register_call_returns_what_the_use_case_returns(register):
    reference = await register_call(
        suppressions.submit_opt_out, channels=["email"], address=DEMO_EMAIL, source_channel="rest"
    )
    with session_scope(register) as session:
        assert requests.get_by_reference(session, reference).kind == "opt_out"


async def test_a_register_that_cannot_be_reached_becomes_an_apology(monkeypatch, caplog):
    closed_port = "postgresql://klbot:secret-password@127.0.0.1:1/register"
    monkeypatch.setenv("KLBOT_DATABASE_URL", closed_port)

    with caplog.at_level(logging.ERROR):
        with pytest.raises(RegisterUnavailable):
            await register_call(
                suppressions.submit_opt_out,
                channels=["email"],
                address=DEMO_EMAIL,
                source_channel="rest",
            )
    assert "Register call failed" in caplog.text
    assert "secret-password" not in caplog.text and DEMO_EMAIL not in caplog.text

    dispatcher = CollectingDispatcher()
    assert apologise(dispatcher) == [SlotSet("register_error", True)]
    assert responses(dispatcher) == ["utter_register_down"]


async def test_a_failure_inside_the_transaction_writes_nothing(register):
    before = rows(register)

    def write_then_fail() -> None:  # a use case that fails after its first write
        with session_scope() as session:
            session.add(AuditEntry(actor="test", action="test", entity="test"))
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RegisterUnavailable):
        await register_call(write_then_fail)
    assert rows(register) == before
