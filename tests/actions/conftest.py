"""Helpers for the end-to-end tests of the custom actions.

The tests talk to the real Rasa server and action server (``assistant`` in tests/conftest.py,
a fresh SQLite register with the demo customers) over the REST channel, and read the register
afterwards the way staff do: through the ``klbot ... --json`` CLI and the service layer.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Dict, List, Optional

import pytest

from tests.support.servers import ROOT, RunningAssistant, klbot, start_assistant

# Demo customers (demo/customers.csv)
KNOWN_EMAIL = "ola.nordmann@example.no"  # 10002, phone 412 34 567
KNOWN_EMAIL_MIXED_CASE = "Lise.Berg@Example.NO"  # 10004, phone 94567890
KNOWN_PHONE = "912 34 567"  # 10001, post@hemnesgard.no
KNOWN_PHONE_E164 = "+4791234567"
CONTACT = "63 85 88 70"

REFERENCE = re.compile(r"PV-[A-Z0-9]{4,12}")
DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def texts(assistant: RunningAssistant, sender: str, message: str) -> List[str]:
    return [m.get("text", "") for m in assistant.say(sender, message) if m.get("text")]


def conversation(assistant: RunningAssistant, sender: str, *messages: str) -> List[List[str]]:
    """Several turns; the bot's texts for each."""
    return [texts(assistant, sender, message) for message in messages]


def joined(replies: List[str]) -> str:
    return " ".join(replies)


def masked(turns: List[List[str]], *values: str) -> List[List[str]]:
    """Replies with what differs legitimately between two conversations masked: references,
    dates and the values the customer typed (which the bot may echo)."""
    out = []
    for turn in turns:
        masked_turn = []
        for text in turn:
            text = REFERENCE.sub("PV-XXXXXX", DATE.sub("DD.MM.YYYY", text))
            for value in values:
                text = text.replace(value, "<typed>")
            masked_turn.append(text)
        out.append(masked_turn)
    return out


def requests_json(env: Dict[str, str]) -> List[dict]:
    return json.loads(klbot(env, "requests", "list", "--json").stdout)


def outbox(env: Dict[str, str]) -> List[dict]:
    return json.loads(klbot(env, "outbox", "list", "--json").stdout)


def suppressions(env: Dict[str, str], channel: Optional[str] = None) -> List[dict]:
    args = ["suppressions", "export", "--json"] + (["--channel", channel] if channel else [])
    return json.loads(klbot(env, *args).stdout)


def messages_to(env: Dict[str, str], to: str) -> List[dict]:
    rows = [m for m in outbox(env) if str(m.get("to", "")).lower() == to.lower()]
    return sorted(rows, key=lambda m: (str(m.get("created_at")), str(m.get("id"))))


def latest_code(env: Dict[str, str], to: str) -> str:
    """The newest one-time code the outbox notifier recorded for ``to``."""
    for message in reversed(messages_to(env, to)):
        body = message.get("body", "")
        is_code = "engangskode" in body.lower() or "one-time code" in body.lower()
        match = CODE.search(body) if is_code else None
        if match:
            return match.group(1)
    raise AssertionError(f"no one-time code in the outbox for {to}")


def wrong_code(real: str) -> str:
    return "000000" if real != "000000" else "111111"


def by_reference(env: Dict[str, str], reference: str) -> dict:
    # by its own reference (another ticket may name it: a possible-duplicate link)
    rows = [r for r in requests_json(env) if r["reference"] == reference]
    assert len(rows) == 1, (reference, rows)
    return rows[0]


def reference_in(replies: List[str]) -> str:
    match = REFERENCE.search(joined(replies))
    assert match, replies
    return match.group(0)


@pytest.fixture(scope="session")
def register_env(assistant) -> Dict[str, str]:
    return assistant.env


@pytest.fixture(scope="module")
def sms_assistant(tmp_path_factory):
    """An assistant with the Twilio SMS channel on, its register in a folder of its own (so a
    test can take the register away), and the demo customers."""
    from tests.channels.conftest import PUBLIC_URL, TWILIO_ACCOUNT, TWILIO_TOKEN

    work = tmp_path_factory.mktemp("actions-sms")
    (work / "register").mkdir()
    running = start_assistant(
        work,
        env_overrides={
            "KLBOT_DATABASE_URL": f"sqlite:///{work / 'register' / 'register.db'}",
            "KLBOT_PUBLIC_URL": PUBLIC_URL,
            "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_FROM_NUMBER": "+4759440000",
        },
    )
    klbot(running.env, "customers", "import", str(ROOT / "demo" / "customers.csv"))
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh_code_limits(request):
    """The session's assistant serves many tests that ask codes for the same demo customers;
    the register's limits (3 codes per contact point an hour, a lock after 10 wrong codes)
    would carry over from one test to the next. Before each test that uses it, the codes
    and wrong codes of earlier tests are moved a day back (the limits' own tests in
    tests/register and tests/security use fresh registers instead)."""
    if "assistant" not in request.fixturenames:
        return
    from datetime import timedelta

    from sqlalchemy import select

    from bot.register.db import session_scope
    from bot.register.models import Challenge, CodeFailure, OutboxMessage

    url = request.getfixturevalue("assistant").env["KLBOT_DATABASE_URL"]
    day = timedelta(days=1, minutes=1)
    with session_scope(url) as s:
        for challenge in s.execute(select(Challenge)).scalars():
            challenge.created_at -= day
        for failure in s.execute(select(CodeFailure)).scalars():
            failure.at -= day
        for notice in s.execute(
            select(OutboxMessage).where(OutboxMessage.purpose == "on_behalf")
        ).scalars():
            notice.purpose = "on_behalf_earlier_test"
