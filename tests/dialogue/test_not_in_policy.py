"""Issue 18, item 2: a question about personal data that the NLU finds no policy topic in
(``out_of_scope``, ``nlu_fallback``) gets the honest answer: the chat finds nothing about it in
the policy, and how to ask us. Never «I only help with privacy» to a privacy question.

Whole conversations through the real rules and Rasa's templated NLG (tests/support/dialogue.py),
with the ``personal_data`` entity from the pipeline's own patterns (bot/nlp/situations.py).
"""

from __future__ import annotations

import pytest

from bot.nlp.situations import SituationDetector, about_personal_data

NOT_IN_POLICY = "Det finner jeg ikke noe om i personvernerklæringen vår"
NOT_IN_POLICY_EN = "As far as I can find, our privacy policy doesn't say anything about that"
ONLY_PRIVACY = "jeg hjelper bare med personvern"
CONTACT = ("+47 63 85 88 70", "biokjell@miljovarme.no")


def entities(text):
    """What the pipeline's own pattern extractor adds to the NLU output."""
    return SituationDetector().entities_for(text)


@pytest.mark.parametrize(
    "text",
    [
        "Tar dere opp telefonsamtalene med kundene?",
        "Har dere kameraovervåking ved flisanlegget?",
        "Hva gjør dere med opplysninger om barna mine?",
        "Har dere sikkerhetskopi av kunderegisteret?",
    ],
)
@pytest.mark.parametrize("intent", ["out_of_scope", "nlu_fallback"])
def test_a_privacy_question_with_no_topic_gets_the_honest_answer(chat, text, intent):
    c = chat()
    turn = c.say(text, intent, 0.5, entities(text))
    assert NOT_IN_POLICY in turn.text, turn
    assert all(contact in turn.text for contact in CONTACT)
    assert ONLY_PRIVACY not in turn.text


@pytest.mark.parametrize("text", ["Hva koster en pall med pellets?", "Når åpner kontoret?"])
def test_another_question_is_still_out_of_scope(chat, text):
    c = chat()
    turn = c.say(text, "out_of_scope", 0.8, entities(text))
    assert ONLY_PRIVACY in turn.text and NOT_IN_POLICY not in turn.text


def test_english_gets_it_in_english(chat):
    c = chat()
    text = "Do you record the phone calls?"
    turn = c.say(text, "out_of_scope", 0.6, entities(text))
    assert NOT_IN_POLICY_EN in turn.text, turn
    assert all(contact in turn.text for contact in CONTACT)
    again = c.say("What do you charge for pellets?", "out_of_scope", 0.8)
    assert "I only help with privacy" in again.text, again  # one turn only


def test_inside_a_form_the_answer_comes_then_the_step_again(chat):
    c = chat()
    c.say("jeg vil ha innsyn", "request_access")
    step = c.slot("requested_slot")
    text = "tar dere opp samtalene?"
    turn = c.say(text, "out_of_scope", 0.6, entities(text))
    assert NOT_IN_POLICY in turn.text, turn
    assert c.form == "rights_form" and c.slot("requested_slot") == step


@pytest.mark.parametrize(
    "text",
    [
        "lagrer dere IP-adressen min?",
        "kva gjer de med dataa mine",
        "Do you keep my details after I move?",
        "gir dere opplysninger til inkasso?",
        "Registrerer dere hvem som bor i huset?",
        "har dere videoovervåking på tomta?",
    ],
)
def test_messages_about_personal_data(text):
    assert about_personal_data(text)


@pytest.mark.parametrize(
    "text",
    [
        "kan jeg få opplysninger om prisene?",
        "det er slett ikke greit",
        "hvordan logger jeg inn?",
        "har dere store lager?",
        "når kommer leveransen?",
        "hei",
    ],
)
def test_messages_not_about_personal_data(text):
    assert not about_personal_data(text)
