"""Pure pieces of the channels: keyword matching, SMS splitting, numbered buttons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa.shared.core.events import BotUttered, UserUttered

from bot.channels.support import conversation_id, split_text
from bot.channels.telegram import CallbackPayloads
from bot.channels.twilio_sms import (
    META_KEY,
    SMS_LIMIT,
    classify,
    keyword_of,
    offered_buttons,
    pending_opt_in,
    render_for_sms,
    texts,
    texts_en,
)


@pytest.mark.parametrize(
    "text,kind",
    [
        ("STOPP", "opt_out"),
        ("stopp.", "opt_out"),
        (" Stop! ", "opt_out"),
        ("opt-out", "opt_out"),
        ("Stop all", "opt_out"),
        ("AVMELD", "opt_out"),
        ("start", "start"),
        ("Hjelp?", "help"),
        ("JA", "yes"),
        ("ja takk!", "yes"),
        ("Nei.", "no"),
        ("stopp reklame på e-post", None),
        ("kan dere stoppe dette", None),
        ("", None),
    ],
)
def test_keywords_are_matched_on_the_whole_message_whatever_case_and_punctuation(text, kind):
    assert classify(text) == kind


@given(st.text(min_size=0, max_size=3000))
def test_split_text_never_exceeds_the_limit_and_loses_no_words(text):
    parts = split_text(text, SMS_LIMIT)
    assert all(0 < len(p) <= SMS_LIMIT for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_long_answers_become_several_sms_and_very_long_ones_are_shortened():
    sentence = "Opplysningene lagres så lenge du er kunde hos oss, og lenger når loven krever det. "
    parts = render_for_sms([{"text": sentence * 6}], "KORTET")
    assert len(parts) > 1 and all(len(p) <= SMS_LIMIT for p in parts)
    parts = render_for_sms([{"text": sentence * 40}], "KORTET")
    assert len(parts) == 4 and parts[-1] == "KORTET"


def test_an_answer_and_its_offer_arrive_in_one_sms_when_they_fit():
    answer = "Opplysningene lagres i kunderegisteret så lenge du er kunde hos oss."
    assert render_for_sms([{"text": answer}, {"text": "Vil du vite mer?"}], "") == [
        f"{answer}\nVil du vite mer?"
    ]
    long = "Opplysningene lagres så lenge du er kunde hos oss. " * 6  # about 310 characters
    parts = render_for_sms([{"text": long}, {"text": "Vil du vite mer?"}], "")
    assert len(parts) == 2 and parts[1] == "Vil du vite mer?"


def test_buttons_are_numbered_across_the_turn():
    parts = render_for_sms(
        [
            {"text": "Hva vil du?", "buttons": [{"title": "Innsyn", "payload": "/a"}]},
            {"text": "Eller:", "buttons": [{"title": "Sletting", "payload": "/b"}]},
        ],
        "",
    )
    text = "\n".join(parts)
    assert "1) Innsyn" in text and "2) Sletting" in text and "Svar med tallet" in text


def test_numbers_pick_the_buttons_of_the_bots_last_turn_only():
    old = BotUttered("Gammel", data={"buttons": [{"title": "X", "payload": "/x"}]})
    turn = [
        UserUttered("hei"),
        BotUttered("Hva vil du?", data={"buttons": [{"title": "A", "payload": "/a"}]}),
        BotUttered("Eller:", data={"buttons": [{"title": "B", "payload": "/b"}]}),
    ]
    assert [b["payload"] for b in offered_buttons([old, *turn])] == ["/a", "/b"]
    own = BotUttered("Hjelp-tekst", metadata={META_KEY: "help"})
    assert offered_buttons([old, *turn, own]) == []


def test_a_start_question_is_pending_only_while_it_is_the_last_reply_and_recent():
    start = BotUttered("Svar JA", metadata={META_KEY: "start"})
    assert pending_opt_in([start], start.timestamp + 60)
    assert not pending_opt_in([start], start.timestamp + 3600)
    assert not pending_opt_in([start, BotUttered("Noe annet")], start.timestamp + 60)
    assert not pending_opt_in([], 0)


def test_conversation_ids_are_stable_keyed_and_reveal_no_number():
    a = conversation_id("sms", "+4791234567", "key-1")
    assert a == conversation_id("sms", "+4791234567", "key-1")
    assert a != conversation_id("sms", "+4791234567", "key-2")
    assert "91234567" not in a and a.startswith("sms-")


def test_long_callback_payloads_travel_as_a_hash_and_come_back():
    payloads = CallbackPayloads()
    short = '/inform{"marketing_channel":"sms"}'
    assert payloads.encode(short) == short
    long = '/inform{"field":"contact_person","value":"' + "x" * 80 + '"}'
    data = payloads.encode(long)
    assert len(data.encode()) <= 64 and payloads.decode(data, None) == long
    assert CallbackPayloads().decode(data, None) == data  # unknown after a restart: unchanged


@pytest.mark.parametrize(
    "body, english",
    [("STOP", True), ("Unsubscribe", True), ("help", True), ("yes", True), ("STOPP", False),
     ("hjelp", False), ("ja", False), ("Avmeld.", False)],
)  # fmt: skip
def test_the_sms_channel_answers_an_english_keyword_in_english(body, english):
    from bot.channels.twilio_sms import TwilioSmsInput
    from bot.config import Settings

    channel = TwilioSmsInput(Settings())
    key = {"stop": "opt_out", "stopp": "opt_out", "unsubscribe": "opt_out", "avmeld": "opt_out",
           "help": "help", "hjelp": "help", "yes": "opt_in", "ja": "opt_in"}[
        keyword_of(body).replace(" ", "")
    ]  # fmt: skip
    text = channel.text(key, body)
    assert (text in texts_en(Settings()).values()) is english
    assert (text == texts(Settings())[key]) is not english


def test_the_guards_apology_follows_the_customers_language():
    from bot.channels.guard import APOLOGY, APOLOGY_EN, apology

    assert apology("How long do you keep my data?") == APOLOGY_EN
    assert apology("Hvor lenge lagrer dere dataene mine?") == APOLOGY
    assert apology(None) == APOLOGY
