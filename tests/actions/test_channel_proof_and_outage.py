"""The SMS channel's proof of the sender's number, and a register that is down."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import pytest

from tests.actions.conftest import (
    CONTACT,
    by_reference,
    conversation,
    joined,
    messages_to,
    new_sender,
    reference_in,
    requests_json,
    suppressions,
)
from tests.channels.conftest import post_sms, twiml_messages

pytestmark = [pytest.mark.e2e]


def sms(assistant, body: str, sender: str) -> str:
    return " ".join(twiml_messages(post_sms(assistant, body, sender)))


@contextlib.contextmanager
def register_down(assistant):
    """Take the SQLite register away (its folder), then put it back."""
    url = assistant.env["KLBOT_DATABASE_URL"]
    folder = Path(url[len("sqlite:///") :]).parent
    away = folder.with_name(folder.name + ".down")
    folder.rename(away)
    try:
        yield
    finally:
        away.rename(folder)


def test_sms_opt_out_in_words_uses_the_senders_number_without_asking(sms_assistant):
    number = "+479" + str(random.randint(10**6, 10**7 - 1))  # noqa: S311
    reply = sms(sms_assistant, "Jeg vil ikke ha flere tilbud på sms fra dere", number)
    assert "Ferdig" in reply, reply
    assert number in {row["address"] for row in suppressions(sms_assistant.env, "sms")}
    tickets = [r for r in requests_json(sms_assistant.env) if r["kind"] == "opt_out"]
    assert any(r["channel"] == "twilio_sms" and r["status"] == "done" for r in tickets)


def test_registered_sms_sender_needs_no_code_for_access(sms_assistant):
    sender = "+4791234567"  # demo customer 10001
    before = len(messages_to(sms_assistant.env, sender))
    reply = sms(sms_assistant, "Jeg vil ha innsyn i opplysningene deres om meg", sender)
    assert "ingen kode" in reply and "registrert med referanse" in reply, reply
    ticket = by_reference(sms_assistant.env, reference_in([reply]))
    assert ticket["verified"] is True and ticket["customer_number"] == "10001"
    sent = messages_to(sms_assistant.env, sender)[before:]
    assert len(sent) == 1 and "engangskode" not in sent[0]["body"].lower()  # confirmation only


def test_unregistered_sms_sender_is_asked_like_anyone_else(sms_assistant):
    number = "+479" + str(random.randint(10**6, 10**7 - 1))  # noqa: S311
    reply = sms(sms_assistant, "Jeg vil ha innsyn i opplysningene deres om meg", number)
    assert "e-postadresse eller hvilket mobilnummer" in reply, reply


def test_rest_caller_cannot_claim_a_verified_phone(sms_assistant):
    sender = new_sender("rest-claims")
    messages = sms_assistant.say(
        sender,
        "jeg vil ha innsyn",
        metadata={"channel": "twilio_sms", "verified_phone": "+4791234567"},
    )
    reply = " ".join(m.get("text", "") for m in messages)
    assert "e-postadresse eller hvilket mobilnummer" in reply, reply
    assert "ingen kode" not in reply


def test_register_down_gives_a_short_apology_with_contact_details(sms_assistant):
    before = len(requests_json(sms_assistant.env))
    with register_down(sms_assistant):
        opt_out = conversation(sms_assistant, new_sender("down-optout"), "stopp sms til 975 27 744")
        access = conversation(
            sms_assistant, new_sender("down-access"), "jeg vil ha innsyn", "ola@example.no"
        )
    for turns in (opt_out, access):
        reply = joined(turns[-1])
        assert CONTACT in reply and "Beklager" in reply, turns
        assert "Traceback" not in reply and "sqlite" not in reply.lower()
    assert len(requests_json(sms_assistant.env)) == before
    # back up: the same request works
    again = conversation(sms_assistant, new_sender("up-optout"), "stopp sms til 975 27 744")
    assert "Ferdig" in joined(again[-1]), again
