"""English questions are answered in English, Norwegian ones (mixed or not) in Norwegian.

Real Rasa and action servers (the ``assistant`` fixture), the trained model, the REST channel.
"""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e


def reply(assistant, sender: str, text: str) -> str:
    return " ".join(m.get("text", "") for m in assistant.say(sender, text) if m.get("text"))


@pytest.mark.parametrize(
    "question,english_words",
    [
        ("How long do you keep my data?", ["customer", "kept"]),
        ("What can you do?", ["privacy policy", "requests"]),
        ("Who is responsible for my personal data?", ["controller"]),
        ("Do you share my information with anyone?", ["share"]),
        ("I want to talk to a human", ["call"]),
    ],
)
def test_an_english_question_gets_an_english_answer(assistant, question, english_words):
    text = reply(assistant, f"en-{uuid.uuid4().hex[:10]}", question).lower()
    missing = [w for w in english_words if w not in text]
    assert not missing, f"{question!r} -> {text!r}"


@pytest.mark.parametrize(
    "question",
    ["hvor lenge lagrer dere dataene mine?", "kan jeg få en copy av dataene dere lagrer?"],
)
def test_norwegian_and_norwegian_with_english_words_get_norwegian(assistant, question):
    text = reply(assistant, f"nb-{uuid.uuid4().hex[:10]}", question).lower()
    assert " og " in f" {text} " or " du " in f" {text} ", text
    assert "customer" not in text and " you " not in f" {text} ", text


def test_the_language_follows_the_customer(assistant):
    sender = f"switch-{uuid.uuid4().hex[:10]}"
    assert "kept" in reply(assistant, sender, "How long do you keep my data?").lower()
    back = reply(assistant, sender, "hvor lenge lagrer dere opplysningene?").lower()
    assert "lagres" in back and "kept" not in back
