"""What a customer asked for sticks, through the chat, SMS and the CLI (real servers), and no
contact point in any log line of any process.

One assistant of its own, logging at DEBUG, so that its logs hold everything Rasa, Sanic,
the channels and the actions write, and nothing else.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.actions.conftest import latest_code, reference_in
from tests.channels.conftest import (
    PUBLIC_URL,
    TWILIO_ACCOUNT,
    TWILIO_TOKEN,
    post_sms,
    twiml_messages,
)
from tests.support.servers import ROOT, klbot, start_assistant

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEMO = str(ROOT / "demo" / "customers.csv")
GARD_EMAIL = "post@hemnesgard.no"  # 10001: every marketing permission
UNKNOWN_EMAIL = "ukjent.person@example.com"
SNEKKERI_PHONE = "+4795678901"  # 10005
STYRER_EMAIL = "styrer@bogdalen.example.no"  # 10003
NEW_ADDRESS = "Storgata 5, 8646 Korgen"


@pytest.fixture(scope="module")
def sticky(tmp_path_factory):
    work = tmp_path_factory.mktemp("sticks")
    running = start_assistant(
        work,
        env_overrides={
            "LOG_LEVEL": "DEBUG",
            "KLBOT_PUBLIC_URL": PUBLIC_URL,
            "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_FROM_NUMBER": "+4759440000",
        },
    )
    klbot(running.env, "customers", "import", DEMO)
    yield running
    running.stop()


def say(assistant, sender, *messages):
    turns = []
    for message in messages:
        turns.append([m.get("text", "") for m in assistant.say(sender, message) if m.get("text")])
    return turns


def suppression_rows(env):
    return {
        (r["channel"], r["address"])
        for r in json.loads(klbot(env, "suppressions", "export", "--json").stdout)
    }


def flags(env, number):
    data = json.loads(klbot(env, "customers", "export", number).stdout)
    return data["marketing_permissions"]


def sender(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_what_the_customer_asked_for_sticks_and_no_log_line_names_a_contact_point(sticky):
    env = sticky.env
    # 1. "alt for mye reklame på epost": e-mail only, for the address and its customer
    # (as the answer to "Hvilken reklame?": on its own the NLU reads it as ask_marketing)
    turns = say(
        sticky,
        sender("epost"),
        "stopp reklame",
        "dere sender meg alt for mye reklame på epost",
        GARD_EMAIL,
    )
    assert "e-post" in " ".join(turns[-1]) and "SMS" not in " ".join(turns[-1]), turns
    rows = suppression_rows(env)
    assert ("email", GARD_EMAIL) in rows
    assert ("sms", "+4791234567") not in rows and (
        "post",
        "langstranda 12, 1970 hemnes",
    ) not in rows
    assert flags(env, "10001") == {"sms": True, "email": False, "post": True}

    # 2. "Alle" (the button) with an unknown e-mail: only that e-mail is stopped, and the reply
    #    says SMS and post only for a customer registered with it
    turns = say(
        sticky,
        sender("alle"),
        "stopp reklame",
        '/inform{"marketing_channel":"all"}',
        UNKNOWN_EMAIL,
    )
    reply = " ".join(turns[-1])
    assert "Er " in reply and "kundeforhold" in reply and "SMS og brev" in reply, turns
    assert {(c, a) for c, a in suppression_rows(env) if a == UNKNOWN_EMAIL} == {
        ("email", UNKNOWN_EMAIL)
    }

    # 3. STOPP by SMS (signed as Twilio signs)
    twiml_messages(post_sms(sticky, "STOPP", SNEKKERI_PHONE))
    assert ("sms", SNEKKERI_PHONE) in suppression_rows(env)

    # 4. a correction whose first answer is the field's name, read back before it is written
    chat = sender("correction")
    say(sticky, chat, "jeg vil rette adressen min", STYRER_EMAIL)
    code = latest_code(env, STYRER_EMAIL)
    turns = say(sticky, chat, code, "adresse")
    assert "ikke navnet på den" in " ".join(turns[-1]), turns
    before = len(json.loads(klbot(env, "requests", "list", "--json").stdout))
    turns = say(sticky, chat, NEW_ADDRESS)
    assert f"Stemmer dette: ny adresse «{NEW_ADDRESS}»?" in " ".join(turns[-1]), turns
    assert len(json.loads(klbot(env, "requests", "list", "--json").stdout)) == before
    turns = say(sticky, chat, "ja")
    reference = reference_in(turns[-1])
    ticket = json.loads(klbot(env, "requests", "show", reference, "--json").stdout)
    assert ticket["details"]["field"] == "address"
    assert ticket["details"]["new_value"] == NEW_ADDRESS

    # 5. staff erase and re-import: nothing comes back
    erased = klbot(env, "customers", "erase", "10004", "--yes", "--force").stdout
    assert "Customer 10004 erased" in erased
    again = klbot(env, "customers", "import", DEMO).stdout
    assert "10004" in again and "Kept marketing email off for 10001" in again
    assert "Kept marketing sms off for 10005" in again
    assert flags(env, "10001") == {"sms": True, "email": False, "post": True}
    assert flags(env, "10005")["sms"] is False
    lise = json.loads(klbot(env, "customers", "export", "10004").stdout)
    assert lise["customer"]["name"] is None and lise["customer"]["email"] is None

    # 6. no contact point in any log line of any process
    sticky.stop()
    logs = {p.name: p.read_text(errors="replace") for p in (sticky.workdir / "logs").iterdir()}
    assert sum(len(text) for text in logs.values()) > 10_000  # DEBUG really logged
    forms = [
        GARD_EMAIL,
        UNKNOWN_EMAIL,
        STYRER_EMAIL,
        "lise.berg@example.no",
        SNEKKERI_PHONE,
        "95678901",
        "95 67 89 01",
        "+4793456789",
        "93456789",
    ]
    for name, text in logs.items():
        lowered = text.lower()
        for form in forms:
            assert form.lower() not in lowered, (name, form)
        assert "interpolator" not in lowered, name
        assert not re.search(rf"(?<![\d.]){code}(?![\d.])", text), (name, "the one-time code")
