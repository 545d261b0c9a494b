"""Item 6 (issue 18): English stays English to the end, «no code» included, and every form
prompt and validation message on the way. Whole conversations (tests/support/dialogue.py)
with the pipeline's own language detector; every text the customer reads is checked."""

from __future__ import annotations

import re

import pytest

from tests.dialogue.conftest import codes_sent

NORWEGIAN = re.compile(r"\b(?:og|er|du|vi|deg|ikke|hva|til|kan|eller|jeg|det|på|har)\b", re.I)


def english(turn) -> None:
    for text in turn.texts:
        # «avbryt» is the word an English customer is told to write: not Norwegian prose
        assert not NORWEGIAN.search(text.replace("«avbryt»", "")), text


@pytest.mark.parametrize(
    "no_code", ["no code", "I didn't get a code", "nothing came", "no", "never got it"]
)
def test_an_english_access_request_stays_english_through_no_code(chat, no_code):
    c = chat()
    for text, intent in [
        ("I want a copy of my data", "request_access"),
        ("hello?", "inform"),  # not a contact point: the refusal
        ("912 34 567", "inform"),
        ("what can you not delete?", "request_erasure"),  # a question at the code step
        (no_code, "deny" if no_code == "no" else "inform"),
    ]:
        english(c.say(text, intent, 0.8))
    assert c.form is None and c.slot("language") == "en"


def test_an_english_code_check_stays_english(chat):
    c = chat()
    english(c.say("I want to restrict how you use my data", "request_restriction"))
    english(c.say("912 34 567", "inform"))
    english(c.say("123", "inform"))  # not a code
    english(c.say(codes_sent()[-1], "inform"))
    english(c.say("Only use it for what the law requires", "inform"))
    assert c.form is None


def test_an_english_complaint_and_opt_out_stay_english(chat):
    c = chat()
    english(c.say("I want to complain", "ask_complaint"))
    english(c.say("no thanks", "deny"))
    english(c.say("stop marketing emails but keep sending letters", "request_opt_out"))
    english(c.say("not an address", "inform"))
    english(c.say("ola.nordmann@example.no", "inform"))
    english(c.say("I want to delete my data", "request_erasure"))
    english(c.say("never mind, forget it", "inform"))
    assert c.form is None
