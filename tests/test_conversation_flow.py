"""Conversations that flow, through the real Rasa server and action server.

The turns are sent as intents (``/intent{"entity": "value"}``), so that these tests check the
dialogue at run time (slot mappings, rules, forms, response variations) whatever the NLU
makes of a phrasing; tests/test_conversations.py checks the rules and the topic entity in
seconds, and the test stories run against the trained model in tests/test_dialogue.py.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import List

import pytest

from tests.support.servers import klbot

pytestmark = [pytest.mark.e2e]

GOODBYE = "Ha en fin dag!"
OFFER = "Vil du vite mer?"
ENGLISH_OFFER = "Would you like to know more?"
NORWEGIAN = re.compile(r"\b(?:og|er|du|vi|deg|ikke|hva|til|kan|eller|jeg|det|på|har)\b", re.I)


def turns(assistant, *messages: str) -> List[str]:
    """The bot's texts for each message, joined per turn, in one new conversation."""
    sender = f"flow-{uuid.uuid4().hex[:12]}"
    return [" ".join(assistant.texts(sender, message)) for message in messages]


def test_no_to_anything_else_ends_the_conversation(assistant):
    replies = turns(assistant, "/ask_retention", "/deny", "/deny")
    assert OFFER in replies[0]
    assert "noe annet" in replies[1]
    assert GOODBYE in replies[2] and "noe annet" not in replies[2]


def test_another_question_after_the_offer_is_answered(assistant):
    replies = turns(assistant, "/ask_purposes", "/ask_legal_basis", "/request_opt_out")
    assert OFFER in replies[0]
    assert "berettiget interesse" in replies[1]
    assert "Hvilken reklame vil du stoppe?" in replies[2]


def test_a_policy_answer_inside_a_form_asks_only_the_forms_question(assistant):
    replies = turns(assistant, "/request_access", "/ask_purposes", "/cancel", "/deny")
    assert OFFER not in replies[1] and "kundestøtte." in replies[1]
    assert replies[1].count("?") == 1  # the form's question, nothing else
    assert "avbrutt" in replies[2]
    assert GOODBYE in replies[3]


def test_an_english_answer_offers_more_outside_a_form_and_not_inside(assistant):
    replies = turns(
        assistant,
        '/ask_retention{"language":"en"}',
        "/request_erasure",
        "/ask_retention",
        "/help",
        "/cancel",
    )
    assert "kept" in replies[0] and ENGLISH_OFFER in replies[0]
    assert "kept" in replies[2] and ENGLISH_OFFER not in replies[2]
    assert replies[2].count("?") == 1  # the form's question, nothing else
    assert "«avbryt»" in replies[3] and "cancel" not in replies[3].lower()
    assert replies[3].count("?") == 1
    assert "I have stopped" in replies[4]  # utter_cancelled in English too


def test_a_topic_the_policy_does_not_cover_gets_an_honest_answer_once(assistant):
    replies = turns(
        assistant, '/ask_data_collected{"policy_topic":"cookies"}', "/ask_data_collected"
    )
    assert "sier ikke noe om informasjonskapsler" in replies[0]
    assert "+47 63 85 88 70" in replies[0]
    assert "informasjonskapsler" not in replies[1] and OFFER in replies[1]


def test_the_chat_retention_is_what_the_web_page_states(assistant):
    (reply,) = turns(assistant, '/ask_retention{"policy_topic":"chat"}')
    assert "inntil 90 dager" in reply


def test_a_topic_inside_a_form_is_answered_and_the_form_goes_on(assistant):
    replies = turns(assistant, "/request_opt_out", '/ask_contact{"policy_topic":"dpo"}')
    assert "nevner ikke noe personvernombud" in replies[1]
    assert "Hvilken reklame vil du stoppe?" in replies[1]


def test_a_goodbye_that_names_the_chat_is_a_goodbye(assistant):
    (reply,) = turns(assistant, '/goodbye{"policy_topic":"chat"}')
    assert GOODBYE in reply and "90 dager" not in reply


def test_an_english_customer_gets_the_rights_forms_questions_in_english(assistant):
    replies = turns(
        assistant,
        '/request_erasure{"language":"en"}',
        '/inform{"email":"nobody.here@example.com"}',
        "/inform",
        "/cancel",
    )
    assert "confirm who you are" in replies[0] and "Which e-mail address" in replies[0]
    assert "one-time code" in replies[1] and "«no code»" in replies[1]
    assert "6 digits" in replies[2]
    assert "I have stopped" in replies[3]
    for reply in replies:
        assert not NORWEGIAN.search(reply), reply


def test_an_english_opt_out_is_confirmed_in_english(assistant):
    replies = turns(
        assistant,
        '/request_opt_out{"language":"en"}',
        '/inform{"marketing_channel":"email"}',
        '/inform{"email":"english.optout@example.com"}',
    )
    assert "Which marketing do you want to stop?" in replies[0]
    assert "Which e-mail address is it?" in replies[1]
    assert "Done." in replies[2] and "by e-mail" in replies[2]
    for reply in replies:
        assert not NORWEGIAN.search(reply), reply


def test_a_short_question_in_the_complaint_form_is_answered_not_written_down(assistant):
    replies = turns(assistant, "/ask_complaint", "hvordan klager jeg?", "/deny")
    assert "Vil du at jeg skriver ned klagen din" in replies[0]
    assert "Datatilsynet" in replies[1] and "Vil du at jeg skriver ned klagen din" in replies[1]
    assert "Vil du ha svar?" not in replies[1]
    assert "ikke skrevet noen klage" in replies[2]


@pytest.mark.parametrize("form", ["/request_access", "/request_opt_out", "/ask_complaint"])
def test_small_talk_inside_a_form_asks_only_the_forms_question(assistant, form):
    replies = turns(assistant, form, "/greet", "/thank", "/goodbye", "/cancel")
    for reply in replies[1:4]:
        assert reply.count("?") == 1, reply  # the form's question, nothing else
        assert "noe mer jeg kan hjelpe med" not in reply and "Spør meg" not in reply
    assert "«avbryt»" in replies[3] and "ikke ferdige" in replies[3]
    assert "avbrutt" in replies[4]


# --- Issue 18: specific answers, questions about rights, someone else's data ---------------


def test_a_question_about_access_is_answered_then_offered_and_yes_starts_it(assistant):
    replies = turns(assistant, '/request_access{"question":"how"}', "/affirm")
    assert "skriftlig og underskrevet" in replies[0]
    assert "«Registrer ekstra persondata»" in replies[0]
    assert replies[0].endswith("Vil du at jeg starter innsynskravet her i chatten nå?")
    assert replies[0].count("registrert") == 1  # the chat's route said once, not again in the offer
    assert "bekrefte hvem du er" not in replies[0]  # no form started for a question
    assert "bekrefte hvem du er" in replies[1]  # «ja» starts the access request


def test_no_to_the_offered_request_starts_nothing(assistant):
    replies = turns(assistant, '/request_erasure{"question":"how"}', "/deny")
    assert "kan vi ikke slette" in replies[0]
    assert "noe annet" in replies[1] and "bekrefte hvem du er" not in replies[1]


def test_a_specific_question_in_words_gets_its_answer(assistant):
    replies = turns(assistant, "Eg sende ein søknad om å bli kunde i fjor, har de framleis den?")
    assert "3 måneder" in replies[0]


def test_an_unsolicited_code_gets_advice_and_no_new_code(assistant):
    replies = turns(assistant, '/request_status{"policy_topic":"unsolicited_code"}', "/deny")
    assert "Ikke gi koden til noen" in replies[0]
    assert "bekrefte hvem du er" not in replies[0]
    assert "Hvilken e-postadresse" not in replies[0]  # no status form, so no code is sent


def test_a_deceased_relatives_data_is_no_erasure_of_the_askers_own(assistant):
    replies = turns(assistant, '/request_erasure{"situation":"deceased"}')
    assert "Kondolerer" in replies[0] and "dokumentasjon" in replies[0]
    assert "bekrefte hvem du er" not in replies[0]


def test_an_english_customer_gets_the_not_covered_answer_in_english(assistant):
    replies = turns(assistant, '/ask_sharing{"language":"en","policy_topic":"storage"}')
    assert "does not say anything about where the data is stored" in replies[0]
    assert not NORWEGIAN.findall(replies[0].replace("KL Miljøvarme", "")), replies[0]


# --- Issue 18, 6 December: through the real NLU, rules, forms and register -----------------


def test_a_privacy_question_the_policy_does_not_cover_says_so_and_how_to_ask(assistant):
    """No policy topic in it, but about personal data: «the policy says nothing I can find;
    ask us», never «I only help with privacy» (slot personal_data, utter_out_of_scope)."""
    (reply,) = turns(assistant, "Har dere kameraovervåking ved flisanlegget?")
    assert "finner jeg ikke noe om i personvernerklæringen" in reply, reply
    assert "+47 63 85 88 70" in reply and "biokjell@miljovarme.no" in reply
    (other,) = turns(assistant, "Hva koster en pall med pellets?")
    assert "jeg hjelper bare med personvern" in other, other


def test_a_complaint_told_as_it_happened_is_registered_as_told(assistant):
    about = "Dere ringte meg om fjernvarme selv om jeg har reservert meg mot telefonsalg"
    sender = f"flow-{uuid.uuid4().hex[:12]}"
    assistant.texts(sender, "jeg vil klage")
    told = " ".join(assistant.texts(sender, about))
    assert "Vil du ha svar?" in told, told  # the complaint's text, not a telemarketing question
    done = " ".join(assistant.texts(sender, "nei takk"))
    assert done.startswith("Takk. Klagen er registrert"), done  # nothing said before it
    tickets = json.loads(klbot(assistant.env, "requests", "list", "--json").stdout)
    assert any(t["kind"] == "complaint" and t["details"].get("about") == about for t in tickets)


@pytest.mark.parametrize(
    "text",
    [
        "Faren min døde i vår. Hvordan får jeg slettet det dere har om ham?",
        "Mor er død, har dere slettet det dere hadde om henne?",
    ],
)
def test_a_deceased_relative_gets_the_route_and_no_code(assistant, text):
    (reply,) = turns(assistant, text)
    assert "Kondolerer" in reply and "Langstranda 571" in reply, reply
    assert "bekrefte hvem du er" not in reply and "engangskode" not in reply


def test_what_an_extract_contains_is_answered_then_offered(assistant):
    (reply,) = turns(assistant, "Hva får jeg tilsendt når jeg ber om registerutdrag?")
    assert "Registerutdraget viser" in reply, reply
    assert reply.endswith("Vil du at jeg starter innsynskravet her i chatten nå?")
    assert "bekrefte hvem du er" not in reply  # no form for a question
