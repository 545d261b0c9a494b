"""When the register's database is down, SMS and Telegram customers still get an answer."""

from __future__ import annotations

import contextlib
import random
import shutil
from pathlib import Path

import pytest

from tests.channels.conftest import post_sms, post_update, suppressed, twiml_messages
from tests.channels.test_telegram import message_update, new_user

pytestmark = [pytest.mark.e2e]


@contextlib.contextmanager
def register_down(assistant):
    """Take the SQLite register away (its folder), then put it back."""
    # the server opens its register engine on first use, creating a missing folder: use it
    # once before the outage so that what fails during it is the database, not a fresh one
    twiml_messages(post_sms(assistant, "HJELP", "+4790000001"))
    url = assistant.env["KLBOT_DATABASE_URL"]
    assert url.startswith("sqlite:///"), url
    folder = Path(url[len("sqlite:///") :]).parent
    away = folder.with_name(folder.name + ".down")
    folder.rename(away)
    try:
        yield
    finally:
        if folder.exists():  # recreated empty by a process that connected during the outage
            shutil.rmtree(folder)
        away.rename(folder)


def contact_details(text: str) -> bool:
    return "63 85 88 70" in text and "biokjell@miljovarme.no" in text


def test_sms_gets_an_apology_with_contact_details_and_no_error(channels):
    number = "+479" + str(random.randint(10**6, 10**7 - 1))  # noqa: S311
    with register_down(channels):
        for body in ("STOPP", "Hvor lenge lagrer dere opplysningene?", "HJELP"):
            response = post_sms(channels, body, number)
            messages = twiml_messages(response)  # a 200 with TwiML, never a 5xx
            text = " ".join(messages)
            assert contact_details(text), messages
            assert "Traceback" not in response.text and "sqlite" not in response.text.lower()
    # the failed STOPP left nothing half-done: sent again, it works
    assert number not in suppressed(channels)
    twiml_messages(post_sms(channels, "STOPP", number))
    assert number in suppressed(channels)


def test_telegram_gets_200_and_the_customer_an_apology(channels, fake_telegram):
    user = new_user()
    with register_down(channels):
        response = post_update(channels, message_update(user, "hei"))
    assert response.status_code == 200
    texts = [c.params["text"] for c in fake_telegram.calls_to("sendMessage", user["id"])]
    assert texts and contact_details(texts[-1]), texts
