"""Opting out of marketing over the REST channel: no proof of identity, effective at once,
the same answer whether or not the contact point belongs to a customer."""

from __future__ import annotations

import pytest

from bot.register.contacts import normalize_email, normalize_phone
from tests.actions.conftest import (
    KNOWN_PHONE,
    KNOWN_PHONE_E164,
    conversation,
    joined,
    masked,
    new_sender,
    reference_in,
    requests_json,
    suppressions,
)

pytestmark = [pytest.mark.e2e]


def opt_out_tickets(env, address):
    return [
        r for r in requests_json(env) if r["kind"] == "opt_out" and address in str(r.get("details"))
    ]


def test_opt_out_known_and_unknown_number_get_identical_replies_and_both_are_suppressed(
    assistant,
):
    unknown = "98 76 54 31"
    script = ["jeg vil ikke ha reklame fra dere", "sms"]
    known_turns = conversation(assistant, new_sender("optout-known"), *script, KNOWN_PHONE)
    unknown_turns = conversation(assistant, new_sender("optout-unknown"), *script, unknown)

    assert masked(known_turns, KNOWN_PHONE_E164) == masked(unknown_turns, "+4798765431")
    assert "SMS" in known_turns[0][0] and "e-post" in known_turns[0][0]  # asks the channel
    done = joined(known_turns[-1])
    assert "Ferdig" in done and "SMS" in done and reference_in(known_turns[-1])

    sms = {row["address"] for row in suppressions(assistant.env, "sms")}
    assert {KNOWN_PHONE_E164, "+4798765431"} <= sms
    for address in (KNOWN_PHONE_E164, "+4798765431"):
        tickets = opt_out_tickets(assistant.env, address)
        assert len(tickets) == 1, tickets
        assert tickets[0]["status"] == "done"
        assert tickets[0]["channel"] == "rest"


def test_stopp_with_channel_and_number_in_one_message_suppresses_at_once(assistant):
    turns = conversation(assistant, new_sender("optout-once"), "stopp sms til 975 27 746")
    assert "Ferdig" in joined(turns[0]), turns
    assert "+4797527746" in {row["address"] for row in suppressions(assistant.env, "sms")}


def test_opt_out_of_email_asks_for_the_address_and_rejects_a_phone_number(assistant):
    sender = new_sender("optout-email")
    turns = conversation(
        assistant,
        sender,
        "slutt å sende meg nyhetsbrev",
        "412 00 000",
        "Kari.Hansen@Example.no",
    )
    assert "e-postadresse" in joined(turns[0]), turns
    assert "e-postadressen" in joined(turns[1]), turns  # asked again, kindly
    assert "Ferdig" in joined(turns[2]), turns
    emails = {row["address"] for row in suppressions(assistant.env, "email")}
    assert normalize_email("Kari.Hansen@Example.no") in emails


def test_opt_out_of_all_channels_with_a_mobile_number(assistant):
    turns = conversation(
        assistant, new_sender("optout-all"), "jeg vil ikke ha reklame", "alle", "+47 480 11 223"
    )
    reply = joined(turns[-1])
    assert "Ferdig" in reply, turns
    # SMS is stopped for the number itself; e-mail and post only for a customer registered
    # with it, and the reply says exactly that (the same words for a customer or not)
    assert "reklame fra KL Miljøvarme på SMS" in reply and "kundeforhold" in reply, reply
    assert "reklame på e-post og brev" in reply, reply
    rows = {(row["channel"], row["address"]) for row in suppressions(assistant.env)}
    assert {(c, a) for c, a in rows if a == normalize_phone("48011223")} == {
        ("sms", normalize_phone("48011223"))
    }


def test_invalid_number_is_asked_for_again_and_nothing_is_written(assistant):
    sender = new_sender("optout-invalid")
    before = len(requests_json(assistant.env))
    turns = conversation(assistant, sender, "ikke send meg flere sms", "123")
    assert "mobilnummer" in joined(turns[1]), turns
    assert len(requests_json(assistant.env)) == before
    turns = conversation(assistant, sender, "avbryt")
    assert "avbrutt" in joined(turns[0]), turns
    assert len(requests_json(assistant.env)) == before
