"""The Twilio SMS channel against the real servers: signatures, keywords, retries, TwiML."""

from __future__ import annotations

import random

import pytest

from bot.channels.support import conversation_id
from bot.channels.twilio_sms import language_of_keyword
from tests.channels.conftest import (
    PUBLIC_URL,
    SMS_PATH,
    TWILIO_TOKEN,
    last_user_metadata,
    new_sid,
    post_sms,
    requests_for,
    suppressed,
    twiml_messages,
)

pytestmark = [pytest.mark.e2e]

# demo/customers.csv: 10004 has 94567890 and marketing_sms=true (no other channel test uses it)
REGISTERED = "+4794567890"


def random_number() -> str:
    return "+479" + "".join(random.choice("0123456789") for _ in range(7))  # noqa: S311


def assert_sms_sized(messages):
    assert messages, "expected at least one <Message>"
    for message in messages:
        assert 0 < len(message) <= 320, (len(message), message)
        assert "Traceback" not in message


# --- who may call ---------------------------------------------------------------------------


def test_signed_message_gets_twiml_reply_in_the_response(channels):
    messages = twiml_messages(
        post_sms(channels, "Hvor lenge lagrer dere opplysningene?", random_number())
    )
    assert_sms_sized(messages)
    assert any("lagre" in m.lower() for m in messages), messages


@pytest.mark.parametrize(
    "how",
    ["missing", "wrong token", "signed for the local url", "garbage", "body changed after signing"],
)
def test_forged_or_missing_signature_is_refused_and_nothing_happens(channels, how):
    number = random_number()
    if how == "missing":
        response = post_sms(channels, "STOPP", number, signature=None)
    elif how == "wrong token":
        response = post_sms(channels, "STOPP", number, token="not-the-token")  # noqa: S106
    elif how == "signed for the local url":
        response = post_sms(channels, "STOPP", number, sign_url=channels.url + SMS_PATH)
    elif how == "garbage":
        response = post_sms(channels, "STOPP", number, signature="bm90IGEgc2lnbmF0dXJl")
    else:
        from twilio.request_validator import RequestValidator

        from tests.channels.conftest import sms_params

        params = sms_params("Hei", number)
        params["SmsSid"] = params["MessageSid"] = params["SmsMessageSid"]
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + SMS_PATH, params)
        params["Body"] = "STOPP"
        import httpx

        response = httpx.post(
            channels.url + SMS_PATH,
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=30,
        )
    assert response.status_code == 403, (response.status_code, response.text[:200])
    assert "<Message>" not in response.text
    assert number not in suppressed(channels)


# --- opt-out keywords -----------------------------------------------------------------------


def test_stopp_from_registered_number_suppresses_sms_before_the_reply(channels):
    assert REGISTERED not in suppressed(channels)
    messages = twiml_messages(post_sms(channels, "STOPP", REGISTERED))
    # the reply has arrived: the suppression must already be committed
    assert REGISTERED in suppressed(channels)
    assert_sms_sized(messages)
    assert "reservert" in " ".join(messages).lower()
    tickets = [r for r in requests_for(channels, "opt_out") if r["channel"] == "twilio_sms"]
    assert tickets and all(r["status"] == "done" for r in tickets)


@pytest.mark.parametrize(
    "keyword",
    [
        "stopp",
        "Stopp!",
        "  STOP  ",
        "Avmeld.",
        "avslutt",
        "SLUTT",
        "stopall",
        "Unsubscribe",
        "cancel",
        "END",
        "quit",
        "OPTOUT",
        "opt-out",
        "revoke",
    ],
)
def test_every_opt_out_keyword_suppresses_whatever_case_and_punctuation(channels, keyword):
    number = random_number()
    messages = twiml_messages(post_sms(channels, keyword, number))
    assert number in suppressed(channels)
    said = " ".join(messages).lower()
    english = language_of_keyword(keyword) == "en"  # an English keyword gets English back
    assert ("no longer get marketing" if english else "reservert") in said


def test_a_retried_message_sid_acts_once(channels):
    number = random_number()
    sid = new_sid()
    first = twiml_messages(post_sms(channels, "STOPP", number, sid=sid))
    assert first
    before = len([r for r in requests_for(channels, "opt_out") if r["channel"] == "twilio_sms"])
    retry = post_sms(channels, "STOPP", number, sid=sid)
    assert twiml_messages(retry) == [], retry.text
    after = len([r for r in requests_for(channels, "opt_out") if r["channel"] == "twilio_sms"])
    assert after == before, "the retry wrote another opt-out ticket"

    sid = new_sid()
    assert twiml_messages(post_sms(channels, "hei", number, sid=sid))
    assert twiml_messages(post_sms(channels, "hei", number, sid=sid)) == []


def test_hjelp_says_what_the_number_is(channels):
    for word in ("HJELP", "help"):
        messages = twiml_messages(post_sms(channels, word, random_number()))
        assert_sms_sized(messages)
        text = " ".join(messages)
        assert "KL Miljøvarme" in text and "personvern" in text.lower()
        assert "63 85 88 70" in text and "biokjell@miljovarme.no" in text


def test_start_resubscribes_only_after_an_explicit_ja(channels):
    number = random_number()
    twiml_messages(post_sms(channels, "STOPP", number))
    assert number in suppressed(channels)

    asked = twiml_messages(post_sms(channels, "START", number))
    assert "JA" in " ".join(asked)
    assert number in suppressed(channels), "START alone must not re-subscribe"

    done = twiml_messages(post_sms(channels, "Ja!", number))
    assert number not in suppressed(channels)
    assert "STOPP" in " ".join(done)


def test_ja_without_a_start_question_does_not_resubscribe(channels):
    number = random_number()
    twiml_messages(post_sms(channels, "STOPP", number))
    twiml_messages(post_sms(channels, "JA", number))
    assert number in suppressed(channels)
    twiml_messages(post_sms(channels, "START", number))
    twiml_messages(post_sms(channels, "nei", number))
    twiml_messages(post_sms(channels, "ja", number))
    assert number in suppressed(channels), "a JA after NEI answered nothing"


# --- the conversation -----------------------------------------------------------------------


def test_buttons_become_a_numbered_list_and_the_number_picks_one(channels):
    number = random_number()
    menu = twiml_messages(post_sms(channels, "hei", number))
    assert_sms_sized(menu)
    text = "\n".join(menu)
    lines = [line for line in text.splitlines() if line[:2] in {f"{i})" for i in range(1, 10)}]
    assert len(lines) >= 2, text
    choice = next(line for line in lines if "rettighet" in line.lower())
    picked = twiml_messages(post_sms(channels, choice.split(")")[0], number))
    assert_sms_sized(picked)
    assert "innsyn" in " ".join(picked).lower(), picked


def test_sms_turns_carry_channel_and_verified_phone_metadata(channels):
    number = random_number()
    twiml_messages(post_sms(channels, "Hvem er behandlingsansvarlig?", number))
    conversation = conversation_id("sms", number, TWILIO_TOKEN)
    metadata = last_user_metadata(channels, conversation)
    assert metadata.get("channel") == "twilio_sms"
    assert metadata.get("verified_phone") == number


def test_long_answers_are_split_into_sms_sized_messages(channels):
    messages = twiml_messages(
        post_sms(channels, "Hvilke rettigheter har jeg? " + "Forklar alt. " * 3, random_number())
    )
    assert_sms_sized(messages)
