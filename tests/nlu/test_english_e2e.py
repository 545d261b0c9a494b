"""English questions are answered in English, Norwegian ones (mixed or not) in Norwegian.

Real Rasa and action servers (the ``assistant`` fixture), the trained model, the REST channel.
"""

from __future__ import annotations

import re
import uuid

import pytest

pytestmark = pytest.mark.e2e


def reply(assistant, sender: str, text: str) -> str:
    return " ".join(m.get("text", "") for m in assistant.say(sender, text) if m.get("text"))


NORWEGIAN = re.compile(r"\b(?:og|er|du|vi|deg|ikke|hva|til|kan|eller|jeg|det)\b")
ENGLISH = re.compile(r"\b(?:the|you|your|we|is|are|and|or|to|of|i)\b")


@pytest.mark.parametrize(
    "question",
    [
        "How long do you keep my data?",
        "What can you do?",
        "Who is responsible for my personal data?",
        "Do you share my information with anyone?",
        "I want to talk to a human",
    ],
)
def test_an_english_question_gets_an_english_answer(assistant, question):
    """Whatever the intent (the fallback included), the answer is in English."""
    text = reply(assistant, f"en-{uuid.uuid4().hex[:10]}", question).lower()
    assert ENGLISH.search(text) and not NORWEGIAN.search(text), f"{question!r} -> {text!r}"


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
