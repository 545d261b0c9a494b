"""Language and request-kind extraction (bot/nlp/extractors.py) and the English responses."""

from __future__ import annotations

import re

import pytest

from bot.nlp.extractors import LanguageDetector, RequestKindExtractor, detect_language
from bot.policy import policy_text
from tests.support.domain import domain_dict

DOMAIN = domain_dict()
EN_CONDITION = [{"type": "slot", "name": "language", "value": "en"}]
# Answers an English-speaking customer gets in English (issue 12): the policy answers,
# small talk, handoff, out of scope and the fallbacks.
ENGLISH_RESPONSES = (
    [
        "utter_greet",
        "utter_goodbye",
        "utter_thank",
        "utter_iamabot",
        "utter_human_handoff",
        "utter_help",
        "utter_out_of_scope",
        "utter_please_rephrase",
        "utter_default",
    ]
    + [
        f"utter_ask_{topic}{more}"
        for topic in (
            "data_collected",
            "purposes",
            "legal_basis",
            "retention",
            "sharing",
            "marketing",
        )
        for more in ("/overview", "_more")
    ]
    + ["utter_ask_rights/overview", "utter_ask_contact", "utter_ask_complaint"]
)


@pytest.mark.parametrize(
    "text",
    [
        "What can you do?",
        "How long do you keep my data?",
        "Please delete my data",
        "Who is responsible for my personal data?",
        "I want to speak to a human",
        "Thanks a lot",
        "Hi there",
        "Can I complain to Datatilsynet?",
    ],
)
def test_english_is_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "hvor lenge lagrer dere dataene mine?",
        "kan jeg få en copy av dataene mine",  # Norwegian with an English word stays Norwegian
        "jeg vil unsubscribe fra nyhetsbrevet",
        "RETTIGHETENE MINE?",
        "kva brukar de dataa mine til?",
        "slett meg please",
        "takk",
        "æ vil snakk med et menneske",
    ],
)
def test_norwegian_stays_norwegian(text):
    assert detect_language(text) == "nb"


@pytest.mark.parametrize(
    "text",
    [
        "97527747",
        "ola@example.com",
        "ok",
        "12345",
        "Storgata 5",
        # words of an e-mail address or a web address are no one's language
        "ukjent.person@example.com",
        "the.new.customer@help.no",
        "https://www.example.com/your-privacy",
    ],
)
def test_a_bare_value_says_nothing_about_language(text):
    """A form answer must not switch the language the conversation has."""
    assert detect_language(text) is None


def test_language_entity_is_added_to_the_parse():
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": "What are my rights?"})
    LanguageDetector().process([message])
    entities = message.get("entities")
    assert [(e["entity"], e["value"]) for e in entities] == [("language", "en")]


@pytest.mark.parametrize(
    "text,kind",
    [
        ("er slettingen min registrert?", "erasure"),
        ("status på sletteforespørselen min", "erasure"),
        ("er slettinga mi ferdig?", "erasure"),
        ("har dere sendt registerutdraget?", "access"),
        ("er innsynskravet mitt motteke?", "access"),
        ("når blir rettingen gjort?", "correction"),
        ("hvordan går det med begrensningen?", "restriction"),
        ("er protesten min registrert?", "objection"),
        ("er dataportabiliteten klar?", "portability"),
        ("er avmeldingen min registrert?", "opt_out"),
        ("har dere mottatt klagen min?", "complaint"),
        ("Has my deletion request been processed?", "erasure"),
        ("what about my access request?", "access"),
    ],
)
def test_request_kind_is_named(text, kind):
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text})
    RequestKindExtractor().process([message])
    found = [(e["entity"], e["value"]) for e in message.get("entities") or []]
    assert found == [("request_kind", kind)]
    entity = message.get("entities")[0]
    assert text[entity["start"] : entity["end"]].strip(), "the span points into the text"


@pytest.mark.parametrize("text", ["hva er status på saken min?", "slett meg", "hei"])
def test_no_kind_when_none_is_named(text):
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text})
    RequestKindExtractor().process([message])
    assert not message.get("entities")


def test_domain_maps_the_entities_to_slots():
    assert {"language", "request_kind"} <= set(DOMAIN["entities"])
    language = DOMAIN["slots"]["language"]
    assert language["mappings"] == [{"type": "from_entity", "entity": "language"}]
    assert language["initial_value"] == "nb", "Norwegian is the default"
    kind = DOMAIN["slots"]["status_kind"]
    assert kind["mappings"][0]["entity"] == "request_kind"
    assert set(kind["values"]) == {
        "access",
        "correction",
        "erasure",
        "restriction",
        "objection",
        "portability",
        "opt_out",
        "complaint",
    }


@pytest.mark.parametrize("name", ENGLISH_RESPONSES)
def test_response_has_an_english_variation(name):
    variants = DOMAIN["responses"][name]
    assert any(not v.get("condition") for v in variants), f"{name}: a Norwegian default"
    english = [v for v in variants if EN_CONDITION[0] in (v.get("condition") or [])]
    assert english, f"{name}: an English variation"
    for variant in english:
        _check_english(name, variant, variants)


def _others(variant):
    return [c for c in variant.get("condition") or [] if c["name"] != "language"]


def _check_english(name, variant, variants):
    text = variant["text"]
    assert len(text) <= 320
    norwegian = re.findall(r"\b(?:og|er|du|vi|deg|ikke|hva|til|kan|eller)\b", text.lower())
    assert not norwegian, f"{name}: Norwegian words {norwegian} in the English text"
    # an English answer states no contact detail the Norwegian policy does not
    policy = policy_text()
    digits = re.sub(r"\D", "", policy)
    for email in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
        assert email in policy, f"{name} invents {email}"
    for number in re.findall(r"\+?\d[\d ]{6,}\d", text):
        assert re.sub(r"\D", "", number) in digits, f"{name} invents {number}"
    # same buttons (payloads) as the Norwegian variation for the same other conditions (the
    # unconditioned default when there is none)
    same = [
        v
        for v in variants
        if EN_CONDITION[0] not in (v.get("condition") or []) and _others(v) == _others(variant)
    ]
    norwegian = same[0] if same else variants[0]
    norwegian_payloads = [b["payload"] for b in norwegian.get("buttons", [])]
    assert [b["payload"] for b in variant.get("buttons", [])] == norwegian_payloads
