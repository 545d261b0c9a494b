"""The answer to a policy question is chosen from the NLU output (actions/answers.py), and
what the message is about beyond its intent is found by patterns (bot/nlp/situations.py)."""

from __future__ import annotations

import asyncio
import re

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from bot.nlp import situations
from tests.support.domain import domain_dict

DOMAIN = domain_dict()


def parse(text: str, intent: str, *ranking) -> dict:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "response_selector": {
            "all_retrieval_intents": list(answers.TOPICS),
            "default": {
                "response": {},
                "ranking": [{"intent_response_key": k, "confidence": c} for k, c in ranking],
            },
        },
    }


def run(action, text, intent, *ranking, slots=None, loop=None):
    slots = {"language": "nb", **(slots or {})}
    tracker = Tracker(
        "t",
        slots,
        parse(text, intent, *ranking),
        [],
        False,
        None,
        {"name": loop} if loop else {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    said = [m["response"] for m in dispatcher.messages]
    return said, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_a_button_payload_gets_the_overview():
    assert answers.choose_answer({"text": "/ask_rights", "intent": {"name": "ask_rights"}}) == (
        "ask_rights/overview"
    )
    said, _ = run(answers.ActionAnswerQuestion(), "/ask_rights", "ask_rights")
    assert said == ["utter_ask_rights/overview", "utter_offer_requests"]


def test_no_selector_prediction_gets_the_overview():
    assert answers.choose_answer(
        {"text": "hva med oppbevaring", "intent": {"name": "ask_retention"}}
    ) == ("ask_retention/overview")


def test_the_selectors_question_under_the_chosen_topic():
    got = answers.choose_answer(
        parse("har de framleis søknaden?", "ask_retention", ("ask_retention/applications", 0.8))
    )
    assert got == "ask_retention/applications"


def test_another_topics_question_only_when_the_selector_is_sure():
    sure = parse("gjør dere kundeundersøkelser?", "ask_legal_basis", ("ask_purposes/surveys", 0.9))
    assert answers.choose_answer(sure) == "ask_purposes/surveys"
    unsure = parse(
        "x", "ask_legal_basis", ("ask_purposes/surveys", 0.4), ("ask_legal_basis/invoicing", 0.3)
    )
    assert answers.choose_answer(unsure) == "ask_legal_basis/invoicing"


def with_right(message: dict, kind: str) -> dict:
    return {**message, "entities": [{"entity": "request_kind", "value": kind}]}


def test_a_rights_question_naming_a_right_gets_its_answer_when_the_selector_is_unsure():
    message = parse(
        "hva inneholder et registerutdrag?", "ask_rights", ("ask_rights/erasure_limits", 0.19)
    )
    assert answers.choose_answer(message) == "ask_rights/erasure_limits"  # no right named
    named = with_right(message, "access")
    assert answers.choose_answer(named) == "ask_rights/access_how"
    overview = with_right(parse("hva må til for innsyn?", "ask_rights"), "access")
    assert answers.choose_answer(overview) == "ask_rights/access_how"


def test_a_sure_selector_or_a_fitting_answer_is_kept_when_a_right_is_named():
    sure = parse(
        "hva kan ikke slettes ved innsyn?", "ask_rights", ("ask_rights/erasure_limits", 0.8)
    )
    assert answers.choose_answer(with_right(sure, "access")) == "ask_rights/erasure_limits"
    every = parse("hvor lang tid tar innsyn?", "ask_rights", ("ask_rights/deadline", 0.28))
    assert answers.choose_answer(with_right(every, "access")) == "ask_rights/deadline"
    fitting = parse(
        "må brevet om innsyn signeres?", "ask_rights", ("ask_rights/access_written", 0.2)
    )
    assert answers.choose_answer(with_right(fitting, "access")) == "ask_rights/access_written"
    among = parse(
        "sletting og fakturaer?",
        "ask_rights",
        ("ask_rights/access_id", 0.2),
        ("ask_rights/erasure_limits", 0.15),
    )
    assert answers.choose_answer(with_right(among, "erasure")) == "ask_rights/erasure_limits"
    payload = with_right({"text": "/ask_rights", "intent": {"name": "ask_rights"}}, "access")
    assert answers.choose_answer(payload) == "ask_rights/overview"


def test_a_topic_the_patterns_found_goes_before_the_selectors_question():
    """«Hvor er dataene mine lagret?» may be classified as retention and the selector may
    guess a retention question: the pattern's topic (slot policy_topic) is certain."""
    guess = parse("hvor lagres dataene?", "ask_retention", ("ask_retention/applications", 0.9))
    assert answers.choose_answer(guess, policy_topic="storage") == "ask_data_collected/storage"
    assert answers.choose_answer(guess, policy_topic="none") == "ask_retention/applications"


def test_a_silent_topic_is_answered_honestly_with_nothing_offered():
    said, slots = run(
        answers.ActionAnswerQuestion(),
        "bruker dere kunstig intelligens på meg?",
        "ask_purposes",
        ("ask_purposes/automated", 0.7),
    )
    assert said == ["utter_ask_purposes/automated"]
    assert slots["answer_offer"] == "none" and slots["offered_request"] is None
    said, _ = run(
        answers.ActionAnswerQuestion(),
        "jeg fikk en kode jeg ikke ba om",
        "request_status",
        slots={"policy_topic": "unsolicited_code"},
    )
    assert said == ["utter_ask_rights/unsolicited_code"]  # advice, no form, no new code


def test_a_question_about_a_right_the_nlu_was_unsure_of_is_answered_under_its_guess():
    unsure = parse("do I have to send a letter to get my data?", "nlu_fallback")
    unsure["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "request_access", "confidence": 0.28},
        {"name": "ask_rights", "confidence": 0.2},
    ]
    assert answers.choose_answer(unsure, "how") == "ask_rights/access_how"
    assert answers.choose_answer(unsure, None) is None  # no question: «please rephrase»
    unsure["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.3}]
    assert answers.choose_answer(unsure, "how") == "ask_rights/overview"


def test_a_request_without_a_how_question_gets_no_answer():
    assert answers.choose_answer(parse("jeg vil ha innsyn", "request_access")) is None


def test_a_how_question_about_access_is_answered_and_the_request_offered_not_started():
    said, slots = run(
        answers.ActionAnswerQuestion(),
        "Hvordan ber jeg om registerutdrag?",
        "request_access",
        ("ask_rights/access_written", 0.5),
        slots={"question": "how"},
    )
    assert said == ["utter_ask_rights/access_written", "utter_offer_request_access"]
    assert slots["answer_offer"] == "request" and slots["offered_request"] == "request_access"


def test_a_how_question_about_erasure_offers_the_erasure():
    said, slots = run(
        answers.ActionAnswerQuestion(),
        "hva kan dere ikke slette?",
        "request_erasure",
        ("ask_rights/erasure_limits", 0.5),
        slots={"question": "how"},
    )
    assert said == ["utter_ask_rights/erasure_limits", "utter_offer_request_erasure"]
    assert slots["offered_request"] == "request_erasure"


def test_a_how_question_about_erasure_without_the_selectors_choice_gets_the_right_itself():
    said, _ = run(
        answers.ActionAnswerQuestion(),
        "har jeg rett til å bli slettet?",
        "request_erasure",
        slots={"question": "how"},
    )
    assert said == ["utter_ask_rights/erasure", "utter_offer_request_erasure"]


def test_inside_a_form_the_answer_comes_alone():
    said, slots = run(
        answers.ActionAnswerQuestion(),
        "hvor lenge lagres søknader?",
        "ask_retention",
        ("ask_retention/applications", 0.9),
        loop="rights_form",
    )
    assert said == ["utter_ask_retention/applications"]
    assert slots["answer_offer"] == "none"


@pytest.mark.parametrize(
    "situation,said,offered",
    [
        ("deceased", ["utter_situation"], None),
        (
            "contact_person",
            ["utter_situation", "utter_offer_request_correction"],
            "request_correction",
        ),
        ("company", ["utter_ask_rights/company", "utter_offer_request_erasure"], "request_erasure"),
    ],
)
def test_someone_elses_data_is_never_the_askers_own_request(situation, said, offered):
    got, slots = run(
        answers.ActionAnswerQuestion(), "…", "request_erasure", slots={"situation": situation}
    )
    assert got == said
    assert slots["offered_request"] == offered


def test_more_after_an_overview_is_the_details_and_after_a_specific_answer_the_overview():
    responses = DOMAIN["responses"]
    assert answers.more_for("ask_retention/overview", responses) == "utter_ask_retention_more"
    assert (
        answers.more_for("ask_retention/applications", responses) == "utter_ask_retention/overview"
    )
    assert answers.offer_for("ask_sharing/overview", responses)[0] == "utter_offer_suppliers"
    assert answers.more_for("ask_sharing/overview", responses) == "utter_ask_sharing_more"


def test_every_answer_the_action_can_choose_exists_in_both_languages():
    keys = set(answers.OFFERED_REQUEST) | {k for ks in answers.REQUEST_ANSWERS.values() for k in ks}
    keys |= {f"{t}/overview" for t in answers.TOPICS}
    for key in keys:
        variants = DOMAIN["responses"][f"utter_{key}"]
        languages = {c["value"] for v in variants for c in v.get("condition", [])}
        assert "en" in languages, key


@pytest.mark.parametrize(
    "text",
    [
        "Hvordan ber jeg om registerutdrag? Må det være skriftlig?",
        "Hva skal jeg skrive på konvolutten?",
        "Korleis ber eg om innsyn?",
        "Må eg legge ved kopi av ID?",
        "Hva er forskjellen på å protestere og å begrense?",
        "Vent litt, hva er det dere IKKE kan slette?",
        "Kan dere slette alt om meg selv om jeg har en ubetalt faktura?",
        "Jeg har ikke internett, hvordan får jeg vite hva dere vet om meg?",
        "How do I ask for a copy of my data?",
        "Har jeg rett til å få opplysningene flyttet til et annet selskap?",
        "Kan jeg protestere mot markedsføringen deres?",
        "Can I object to direct marketing?",
        "Jeg vil ha innsyn, må det være skriftlig?",
        "Hvorfor må dere ha kopi av ID?",
        "hva skjer med dataene når jeg sier opp?",
        "What happens if I ask you to delete my data?",
        "kan jeg ta med meg opplysningene mine til en annen leverandør?",
        "får jeg se alt dere har om meg hvis jeg spør?",
        "can I get my data moved to another company?",
        "får jeg lov til å si nei til kundeundersøkelser?",
    ],
)
def test_a_question_about_a_right_is_recognised(text):
    assert situations.asks_how(text)


# one example per named pattern (bot.nlp.situations.QUESTION_PATTERNS) that only that
# pattern matches: a pattern nobody can name an example for, or one another pattern already
# covers, fails here
PATTERN_EXAMPLES = {
    "how_word": "korleis får eg sjå opplysningane",
    "must_it": "må det være på papir",
    "difference": "forskjellen på protest og begrensning",
    "even_if": "sletter dere meg selv om jeg er kunde",
    "what_cannot": "hva kan ikke slettes",
    "who_may_ask": "vi er et AS, og hvem i firmaet kan sende den",
    "have_the_right": "har jeg rett til innsyn",
    "may_i_oppose": "kan jeg nekte kundeundersøkelser",
    "may_i_ask": "kan jeg be dere om å flytte dataene",
    "opener": "gjelder retten til sletting også fakturaer",
    "what_i_get": "hva får jeg tilsendt når jeg ber om utdrag",
}


@pytest.mark.parametrize(
    "text",
    [
        # a complaint written as it happened: a statement with «selv om» is no question
        "Dere ringte meg om fjernvarme selv om jeg har reservert meg mot telefonsalg",
        "Dere sendte meg reklame selv om jeg sa nei",
        "You called me even though I had opted out",
    ],
)
def test_a_statement_with_even_if_is_no_question(text):
    assert not situations.asks_how(text)


def test_every_question_pattern_has_an_example_only_it_matches():
    assert set(PATTERN_EXAMPLES) == set(situations.QUESTION_PATTERNS)
    for name, example in PATTERN_EXAMPLES.items():
        folded = situations._fold(example)
        matching = {
            other
            for other, pattern in situations.QUESTION_PATTERNS.items()
            if re.search(pattern, folded) or re.search(pattern, example.lower())
        }
        assert matching == {name}, (example, matching)
        assert situations.asks_how(example), example


@pytest.mark.parametrize(
    "text",
    [
        "Jeg vil ha innsyn",
        "slett meg",
        "Kan jeg få innsyn?",
        "Jeg vil ha innsyn, hvordan gjør jeg det?",
        "stopp reklame på sms",
        "eg vil ha ein kopi av opplysningane mine",
        "I want my data deleted",
        "Send meg registerutdraget i posten",
        "Jeg ønsker innsyn. Legger ved kopi av legitimasjon",
        "jeg vil ha innsyn, jeg har ikke internett",
        "kan jeg få slettet kontoen min?",
        "Hva har dere registrert om meg?",
        "kan dere flytte dataene mine til Helgelandskraft?",
    ],
)
def test_a_request_is_no_question(text):
    assert not situations.asks_how(text)


@pytest.mark.parametrize(
    "text,situation",
    [
        ("Min mor døde i sommer, hvordan får jeg slettet opplysningene hennes?", "deceased"),
        ("far min gikk bort, kan dere slette kontoen hans", "deceased"),
        ("My father passed away, what happens to his account?", "deceased"),
        ("Kan dere fjerne den gamle kontaktpersonen vår?", "contact_person"),
        ("kontaktpersonen vår har sluttet", "contact_person"),
        ("Vi er et aksjeselskap, hvem hos oss kan be om innsyn?", "company"),
        ("me er eit borettslag og vil ha innsyn", "company"),
        ("slett meg", None),
        ("Jeg vil endre adressen min", None),
    ],
)
def test_someone_elses_data_is_recognised(text, situation):
    assert situations.situation_of(text) == situation


@pytest.mark.parametrize(
    "text,topic",
    [
        ("Jeg fikk en kode på sms som jeg ikke ba om", "unsolicited_code"),
        ("eg fekk ein kode eg ikkje bad om", "unsolicited_code"),
        ("I got a code I didn't ask for", "unsolicited_code"),
        ("Hvor er dataene mine lagret? I Norge eller i USA?", "storage"),
        ("Where is my data stored?", "storage"),
        ("Overfører dere opplysninger utenfor EØS?", "transfer"),
        ("Bruker dere automatiske avgjørelser om meg?", "automated"),
        ("driver dere med profilering?", "automated"),
        ("Ringer dere folk med telefonsalg?", "telemarketing"),
        ("Har dere databehandleravtale med leverandørene?", "processor"),
        ("Hvor lenge er dataene mine lagret?", None),
        ("hvor lenge lagrer dere opplysningene", None),
        ("jeg fikk ikke koden", None),
        ("koden er 123456", None),
        ("Hvorfor fikk jeg en sms med kode fra dere?", "unsolicited_code"),
        ("fikk en engangskode i dag men har ikke gjort noe", "unsolicited_code"),
        ("hvorfor fikk jeg ikke koden?", None),  # the code step: a code is awaited
        ("hvorfor tar det så lang tid å få koden?", None),
    ],
)
def test_silent_topics_that_need_patterns_are_recognised(text, topic):
    assert situations.topic_of(text) == topic
