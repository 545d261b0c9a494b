"""Issue 13 through the real servers and the real ``klbot``: a request through each channel
(REST, SMS, Telegram) gives exactly one staff alert; a repeated request attaches to the
open ticket; a complaint typed into the chat becomes a ticket; staff close a ticket and the
customer gets one notice where they asked; remind twice sends one digest; the status answer
shows the due date and the days left."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest

from bot.channels.support import conversation_id
from tests.channels.conftest import (
    TELEGRAM_TOKEN,
    post_sms,
    post_update,
    twiml_messages,
)
from tests.channels.test_telegram import message_update, new_user, ok, sent_texts
from tests.support.servers import STAFF_EMAIL, klbot

pytestmark = [pytest.mark.e2e]

REFERENCE = re.compile(r"PV-[A-Z0-9]{6}")
DUE = re.compile(r"\d\d\.\d\d\.\d{4} \(om \d+ dager\)")
# demo/customers.csv: 10005's phone (no other test writes tickets for it)
CUSTOMER_PHONE = "+4795678901"


def say(assistant, sender: str, *messages: str) -> list:
    replies = []
    for message in messages:
        replies.append([m.get("text", "") for m in assistant.say(sender, message)])
    return replies


def outbox(assistant) -> list:
    return json.loads(klbot(assistant.env, "outbox", "list", "--json").stdout)


def tickets(assistant) -> list:
    return json.loads(klbot(assistant.env, "requests", "list", "--json").stdout)


def alerts_for(assistant, reference: str) -> list:
    return [m for m in outbox(assistant) if m["to"] == STAFF_EMAIL and reference in m["body"]]


def unverified_request(assistant, sender: str, email: str) -> str:
    turns = say(
        assistant, sender, "Jeg vil ha innsyn i opplysningene mine", email, "fikk ingen kode"
    )
    match = REFERENCE.search(" ".join(turns[-1]))
    assert match, turns
    return match.group(0)


def test_rest_request_alerts_staff_once_and_a_repeat_is_linked_not_shown(channels):
    email = f"ukjent-{uuid.uuid4().hex[:8]}@example.com"
    first = unverified_request(channels, f"staff-rest-{uuid.uuid4().hex[:8]}", email)
    (alert,) = alerts_for(channels, first)
    assert f"/requests/{first}" in alert["body"] and email not in alert["body"]
    again = say(
        channels,
        f"staff-rest-{uuid.uuid4().hex[:8]}",
        "Jeg vil ha innsyn i opplysningene mine",
        email,
        "fikk ingen kode",
    )
    # an unproven conversation never sees another conversation's ticket (issue 22): it gets
    # a reference of its own, and staff see the two linked as possible duplicates
    second = REFERENCE.search(" ".join(again[-1])).group(0)
    assert second != first and "allerede" not in " ".join(again[-1]), again
    (row,) = [t for t in tickets(channels) if t["reference"] == second]
    assert first in json.dumps(row), row
    assert len(alerts_for(channels, first)) == 1


def test_sms_request_alerts_once_status_shows_days_left_and_closing_tells_the_customer(channels):
    before = {t["reference"] for t in tickets(channels)}
    twiml_messages(post_sms(channels, "Jeg vil ha innsyn i opplysningene mine", CUSTOMER_PHONE))
    new = [t for t in tickets(channels) if t["reference"] not in before]
    (ticket,) = [t for t in new if t["kind"] == "access"]
    reference = ticket["reference"]
    assert ticket["verified"] is True and len(alerts_for(channels, reference)) == 1

    status = " ".join(
        twiml_messages(post_sms(channels, "Hva er status på saken min?", CUSTOMER_PHONE))
    )
    assert reference in status and DUE.search(status), status

    klbot(channels.env, "requests", "update", reference, "--status", "done", "--force")
    notices = [
        m for m in outbox(channels) if m["to"] == CUSTOMER_PHONE and "ferdig behandlet" in m["body"]
    ]
    assert len(notices) == 1 and reference in notices[0]["body"]
    assert notices[0]["channel"] == "sms"


def test_telegram_request_alerts_once_and_a_rejection_is_told_on_telegram(channels, fake_telegram):
    user = new_user()
    email = f"tg-{uuid.uuid4().hex[:8]}@example.com"
    for text in ("Jeg vil ha innsyn i opplysningene mine", email, "fikk ingen kode"):
        ok(post_update(channels, message_update(user, text)))
    match = REFERENCE.search(" ".join(sent_texts(fake_telegram, user)))
    assert match, sent_texts(fake_telegram, user)
    reference = match.group(0)
    assert len(alerts_for(channels, reference)) == 1
    (row,) = [t for t in tickets(channels) if t["reference"] == reference]
    assert row["channel"] == "telegram" and row["reply_channel"] == "telegram"
    assert row["conversation_id"] == conversation_id("telegram", str(user["id"]), TELEGRAM_TOKEN)

    klbot(channels.env, "requests", "update", reference, "--status", "rejected", "--category",
          "identity")  # fmt: skip
    notices = [m for m in outbox(channels) if reference in m["body"] and m["to"] == str(user["id"])]
    assert len(notices) == 1 and notices[0]["channel"] == "telegram"
    assert "avslått" in notices[0]["body"] and email not in notices[0]["body"]


def test_a_complaint_typed_into_the_chat_becomes_a_ticket(channels):
    sender = f"staff-complaint-{uuid.uuid4().hex[:8]}"
    email = f"klager-{uuid.uuid4().hex[:8]}@example.com"
    turns = say(
        channels,
        sender,
        "Hvordan kan jeg klage på hvordan dere behandler personvern?",
        "Dere sendte meg reklame på SMS etter at jeg hadde sagt stopp",
        email,
    )
    assert "Datatilsynet" in " ".join(turns[0])
    last = " ".join(turns[-1])
    match = REFERENCE.search(last)
    assert match and "Datatilsynet" in last, turns
    (row,) = [t for t in tickets(channels) if t["reference"] == match.group(0)]
    assert row["kind"] == "complaint" and row["verified"] is False
    assert "reklame på SMS" in row["details"]["about"]
    assert len(alerts_for(channels, match.group(0))) == 1


def test_remind_twice_sends_one_digest(channels):
    from bot.register.db import session_scope
    from bot.register.requests import get_by_reference

    email = f"frist-{uuid.uuid4().hex[:8]}@example.com"
    reference = unverified_request(channels, f"staff-remind-{uuid.uuid4().hex[:8]}", email)
    with session_scope(channels.env["KLBOT_DATABASE_URL"]) as s:
        ticket = get_by_reference(s, reference)
        ticket.due_at = ticket.created_at - timedelta(days=2)  # overdue
    first = klbot(channels.env, "requests", "remind").stdout
    second = klbot(channels.env, "requests", "remind").stdout
    assert reference in first and "Digest queued" in first and "Not sent again" in second
    digests = [
        m
        for m in outbox(channels)
        if m["to"] == STAFF_EMAIL and m["body"].startswith("Personvern:") and reference in m["body"]
    ]
    assert len(digests) == 1 and "over fristen" in digests[0]["body"]
