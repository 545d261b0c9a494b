"""Conversation tests in seconds, without a trained model.

Rasa's RulePolicy is trained in-process from domain.yml and data/rules/ (the intents are given
by the stories, so NLU changes cannot break these tests) and every story in tests/stories/ is
replayed the way `rasa test core` does: each action must be the one the policy predicts, and
a form that is predicted where the story digresses is rejected first, as a form's validation
does at run time. The same stories run against the trained model in
tests/test_dialogue.py (slow).
"""

from __future__ import annotations

import logging
import re
from typing import Dict, List, Tuple

import numpy as np
import pytest
import yaml
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.entity_synonyms import EntitySynonymMapper
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph, StoryStep
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from tests.support.domain import domain as full_domain
from tests.support.domain import domain_dict, slots_with
from tests.support.servers import ROOT

STORIES = sorted((ROOT / "tests" / "stories").glob("*.yml"))
CONFIG = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))


def component_config(component: type, name: str, **overrides) -> dict:
    """The component's settings in config.yml, over its defaults."""
    section = "policies" if name.endswith("Policy") else "pipeline"
    ours = next(c for c in CONFIG[section] if c["name"] == name)
    settings = {k: v for k, v in ours.items() if k != "name"}
    return {**component.get_default_config(), **settings, **overrides}


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory) -> Tuple[Domain, RulePolicy]:
    logging.getLogger("rasa").setLevel(logging.WARNING)
    domain = full_domain()
    steps: List[StoryStep] = []
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        steps += YAMLStoryReader(domain).read_from_file(str(path))
    trackers = TrainingDataGenerator(
        StoryGraph(steps), domain, augmentation_factor=0, remove_duplicates=True
    ).generate()
    # `rasa train` checks the rules for contradictions; here only the predictions matter.
    config = component_config(RulePolicy, "RulePolicy", check_for_contradictions=False)
    storage = LocalModelStorage(tmp_path_factory.mktemp("rules"))
    context = ExecutionContext(GraphSchema({}), "conversation-tests")
    policy = RulePolicy.create(config, storage, Resource("rules"), context)
    policy.train(trackers, domain)
    return domain, policy


@pytest.fixture(scope="module")
def stories(dialogue) -> Dict[str, StoryStep]:
    domain, _ = dialogue
    found: Dict[str, StoryStep] = {}
    for path in STORIES:
        for story in YAMLStoryReader(domain).read_from_file(str(path)):
            found[story.block_name] = story
    return found


def predict(domain: Domain, policy: RulePolicy, tracker: DialogueStateTracker) -> str:
    prediction = policy.predict_action_probabilities(tracker, domain)
    return domain.action_names_or_texts[int(np.argmax(prediction.probabilities))]


def replay(domain: Domain, policy: RulePolicy, story: StoryStep) -> Tuple[List, List]:
    """The story's actions, and the policy's predictions up to the first that differs."""
    tracker = DialogueStateTracker(story.block_name, domain.slots)
    expected: List[str] = []
    predicted: List[str] = []
    for event in story.explicit_events(domain):
        if isinstance(event, ActionExecuted) and tracker.events:
            expected.append(event.action_name)
            if predicted == expected[:-1]:
                name = predict(domain, policy, tracker)
                loop = tracker.active_loop_name
                if name == loop and event.action_name != loop:
                    tracker.update(ActionExecutionRejected(loop))  # the form's validation refused
                    name = predict(domain, policy, tracker)
                predicted.append(name)
        tracker.update(event, domain)
    return expected, predicted


def story_names() -> List[str]:
    return [
        story["story"]
        for path in STORIES
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]
    ]


@pytest.mark.parametrize("name", story_names())
def test_story_is_predicted_by_the_rules(dialogue, stories, name):
    domain, policy = dialogue
    expected, predicted = replay(domain, policy, stories[name])
    assert predicted == expected


def test_a_story_against_the_rules_fails(dialogue):
    """The replay can fail: «nei» to «noe annet?» does not get the same question again."""
    domain, policy = dialogue
    story = """
stories:
- story: asks again
  steps:
  - intent: deny
  - action: utter_anything_else
  - intent: deny
  - action: utter_anything_else
"""
    wrong = YAMLStoryReader(domain).read_from_parsed_yaml(yaml.safe_load(story))[0]
    expected, predicted = replay(domain, policy, wrong)
    assert predicted != expected and predicted[-1] == "utter_goodbye"


# --- What an answer says inside a form, and outside ------------------------------------------

LANGUAGES = ["nb", "en"]


def variation(domain: Domain, response: str, slots: dict) -> dict:
    from rasa.core.nlg.generator import ResponseVariationFilter

    variations = ResponseVariationFilter(domain.responses).responses_for_utter_action(
        response, "rest", slots_with(domain, **slots)
    )
    assert len(variations) == 1, (response, slots)
    return variations[0]


def rules_in(name: str) -> List[dict]:
    return yaml.safe_load((ROOT / "data" / "rules" / name).read_text("utf-8"))["rules"]


def digression_answers() -> List[str]:
    """What the rules say inside a form before going back to it (digressions.yml), and every
    policy answer (action_answer_question answers inside a form too, without the offer)."""
    return sorted(
        {
            step["action"]
            for rule in rules_in("digressions.yml")
            if rule["steps"][-1].get("active_loop")  # answered, then back to the form
            for step in rule["steps"]
            if step.get("action", "").startswith("utter_")
        }
        | set(retrieval_answers())
    )


def retrieval_answers() -> List[str]:
    """The specific answers (utter_ask_<topic>/<question>, domain.yml)."""
    domain = domain_dict()
    return sorted(
        name for name in domain["responses"] if name.startswith("utter_ask_") and "/" in name
    )


def rule_named(file: str, name: str) -> dict:
    return next(rule for rule in rules_in(file) if rule["rule"] == name)


def or_intents(rule: dict) -> List[str]:
    return [
        alt["intent"] for step in rule["steps"] for alt in step.get("or", []) if "intent" in alt
    ]


def offers() -> List[str]:
    """Every response offered after an answer (actions/answers.py)."""
    from actions import answers

    domain = domain_dict()
    found = set()
    for name in retrieval_answers():
        offer, _, _ = answers.offer_for(name[len("utter_") :], domain["responses"])
        if offer:
            found.add(offer)
    for intent in answers.REQUEST_ANSWERS:
        found.add(answers.request_offer(intent, domain["responses"])[0])
    return sorted(found)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("response", digression_answers())
def test_inside_a_form_an_answer_asks_no_question_of_its_own(dialogue, response, language):
    """One question at a time: the form asks its own next (no «Vil du vite mer?», in
    English neither)."""
    domain, _ = dialogue
    answer = variation(domain, response, {"language": language})
    assert "?" not in answer["text"], answer["text"]
    assert not answer.get("buttons")


@pytest.mark.parametrize("answer", retrieval_answers())
def test_outside_a_form_the_answer_is_followed_by_an_offer_that_is_a_question(dialogue, answer):
    """After each answer: «Vil du vite mer?» where there is more (and «ja» gives it), the
    request the answer is about, or the request buttons; the offer is a question."""
    from actions import answers

    domain, _ = dialogue
    key = answer[len("utter_") :]
    offer, kind, request = answers.offer_for(key, domain.responses)
    if offer is None:
        assert kind == "none"
        return
    for language in LANGUAGES:
        text = variation(domain, offer, {"language": language})["text"]
        assert text.endswith("?"), text
    if kind == "more":
        assert answers.more_for(key, domain.responses) in domain.responses, key
    if kind == "request":
        assert request in {
            "request_access",
            "request_erasure",
            "request_correction",
            "request_portability",
        }


def test_inside_each_form_the_policy_questions_are_answered_as_outside():
    """One rule per form answers the seven topics with the action that answers them outside."""
    outside = rule_named("policy.yml", "answer a policy question")
    assert {"action": "action_answer_question"} in outside["steps"]
    for form in ("rights_form", "opt_out_form", "complaint_form"):
        inside = rule_named("digressions.yml", f"a policy question inside {form}")
        assert or_intents(inside) == or_intents(outside), form
        assert {"action": "action_answer_question"} in inside["steps"], form
        assert inside["steps"][-1] == {"active_loop": form}


@pytest.mark.parametrize("response", sorted({*digression_answers(), *offers()}))
def test_an_english_customer_gets_english_inside_a_form_and_in_the_offers(dialogue, response):
    domain, _ = dialogue
    english = variation(domain, response, {"language": "en"})
    norwegian = variation(domain, response, {"language": "nb"})
    assert english["text"] != norwegian["text"], response
    words = re.findall(r"\b(?:og|er|du|vi|deg|ikke|hva|til|kan|eller)\b", english["text"])
    assert not words, (response, words)
    payloads = [[b["payload"] for b in v.get("buttons", [])] for v in (english, norwegian)]
    assert payloads[0] == payloads[1], response


@pytest.mark.parametrize(
    "response", ["utter_help_in_form", "utter_handoff_in_form", "utter_goodbye_in_form"]
)
def test_inside_a_form_english_customers_are_told_to_write_avbryt(dialogue, response):
    """By SMS, "cancel" is an opt-out keyword (bot/channels/twilio_sms.py): never suggest it."""
    domain, _ = dialogue
    for language in LANGUAGES:
        text = variation(domain, response, {"language": language})["text"]
        assert "«avbryt»" in text and "cancel" not in text.lower(), text


def test_the_objection_question_sends_marketing_to_the_opt_out_by_way_of_avbryt(dialogue):
    """Asked what they object to, a customer who means marketing is told to stop the form
    first: an answer inside the form is taken as the objection's details, so «stopp reklame»
    alone would become an objection ticket instead of an opt-out."""
    domain, _ = dialogue
    for language in LANGUAGES:
        slots = {"language": language, "request_kind": "objection"}
        text = variation(domain, "utter_ask_rights_form_request_details", slots)["text"]
        assert "«avbryt»" in text, text
        assert text.index("«avbryt»") < text.index("«sto"), text


# --- Topics the policy says nothing about -------------------------------------------------


@pytest.fixture(scope="module")
def topic_extractor(tmp_path_factory):
    """RegexEntityExtractor and EntitySynonymMapper as config.yml sets them up, trained on
    data/nlu/topics.yml alone (the other entities' patterns do not extract policy_topic)."""
    data = load_data(str(ROOT / "data" / "nlu" / "topics.yml"))
    storage = LocalModelStorage(tmp_path_factory.mktemp("topics"))
    context = ExecutionContext(GraphSchema({}), "topic-tests")
    extractor = RegexEntityExtractor.create(
        component_config(RegexEntityExtractor, "RegexEntityExtractor"),
        storage,
        Resource("regex"),
        context,
    )
    extractor.train(data)
    mapper = EntitySynonymMapper.create({}, storage, Resource("synonyms"), context)
    mapper.train(data)

    def topics(text: str) -> List[str]:
        message = Message(data={"text": text})
        mapper.process(extractor.process([message]))
        return [e["value"] for e in message.get("entities", []) if e["entity"] == "policy_topic"]

    return topics


@pytest.mark.parametrize(
    "text,topic",
    [
        ("Bruker dere cookies på nettsiden?", "cookies"),
        ("bruker dere informasjonskapsler", "cookies"),
        ("Hva skjer hvis dere får et datainnbrudd?", "breach"),
        ("har dere blitt hacket?", "breach"),
        ("Hva gjør dere ved en datalekkasje", "breach"),
        ("Selger dere opplysningene mine?", "sale"),
        ("blir dataene mine solgt videre?", "sale"),
        ("Har dere solgt navnet mitt til noen?", "sale"),
        ("Har dere et personvernombud?", "dpo"),
        ("hvem er personvernombudet deres", "dpo"),
        ("Hvor lenge lagres denne samtalen?", "chat"),
        ("lagrer dere chatten?", "chat"),
    ],
)
def test_a_topic_the_policy_does_not_cover_is_recognised(topic_extractor, text, topic):
    assert topic_extractor(text) == [topic]


@pytest.mark.parametrize(
    "text",
    [
        "Selger dere pellets?",  # a product question, not selling data
        "Jeg har solgt huset, hvordan endrer jeg adressen?",
        "Varmtvannsberederen har en lekkasje",  # a leaking pipe, not a data breach
        "Hvor lenge lagrer dere opplysningene mine?",
        "Kan jeg chatte med et menneske?",
    ],
)
def test_ordinary_questions_name_no_topic(topic_extractor, text):
    assert topic_extractor(text) == []


def test_the_chat_retention_answer_is_what_the_web_page_states(dialogue):
    from actions.answers import TOPIC_ANSWERS
    from bot.config import Settings

    domain, _ = dialogue
    answer = variation(domain, f"utter_{TOPIC_ANSWERS['chat']}", {})["text"]
    page = (ROOT / "bot" / "channels" / "webchat" / "page.html").read_text(encoding="utf-8")
    days = Settings.__fields__["conversation_retention_days"].default
    assert f"inntil {days} dager" in answer
    assert "Samtalen lagres hos KL Miljøvarme i inntil" in page and "«Ny samtale»" in page


def test_every_unanswered_topic_says_where_to_ask(dialogue):
    from actions.answers import SILENT, TOPIC_ANSWERS
    from bot.policy import COMPANY_EMAIL, COMPANY_PHONE

    domain, _ = dialogue
    for key in sorted(set(TOPIC_ANSWERS.values()) | SILENT):
        for variant in domain.responses[f"utter_{key}"]:
            if key == TOPIC_ANSWERS["chat"]:
                continue
            assert COMPANY_PHONE in variant["text"] and COMPANY_EMAIL in variant["text"], key
            if key == TOPIC_ANSWERS["unsolicited_code"]:
                continue  # security advice, not a policy topic (test_policy_answers checks it)
            silent = ("ikke noe", "nevner ikke", "does not say", "does not name")
            assert any(s in variant["text"] for s in silent), key


@pytest.mark.parametrize("topic", ["cookies", "breach", "storage", "unsolicited_code", "chat"])
def test_an_english_customer_gets_the_topic_in_english(dialogue, topic):
    from actions.answers import TOPIC_ANSWERS

    domain, _ = dialogue
    name = f"utter_{TOPIC_ANSWERS[topic]}"
    english = variation(domain, name, {"language": "en"})
    norwegian = variation(domain, name, {})
    assert english["text"] != norwegian["text"]
    assert not re.findall(r"\b(?:og|er|du|vi|deg|ikke|hva|til|eller)\b", english["text"])


def test_topic_values_match_the_slot(dialogue):
    """Every topic the patterns find is a value of the slot and has its answer."""
    from actions.answers import TOPIC_ANSWERS
    from bot.nlp import situations

    domain, _ = dialogue
    slot = next(s for s in domain.slots if s.name == "policy_topic")
    data = load_data(str(ROOT / "data" / "nlu" / "topics.yml"))
    patterns = {name for name, _ in situations._TOPICS}
    assert set(data.entity_synonyms.values()) | patterns <= set(slot.values)
    assert set(TOPIC_ANSWERS) == set(slot.values) - {"none", "__other__"}
    assert all(f"utter_{key}" in domain.responses for key in TOPIC_ANSWERS.values())
