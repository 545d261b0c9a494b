"""Issue 18's whole conversations as customers write them, through the real servers, the
trained model's NLU and a real register: declining the complaint offer, a question at the
code step, a narrow opt-out, a cancel in other words, a switch in Nynorsk, English to the
end. (tests/dialogue/ replays the same steps in seconds with the NLU output given.)"""

from __future__ import annotations

import json
import re

import pytest

from tests.actions.conftest import (
    KNOWN_EMAIL,
    conversation,
    joined,
    latest_code,
    messages_to,
    new_sender,
    requests_json,
    suppressions,
)

pytestmark = [pytest.mark.e2e, pytest.mark.model]

NOT_VALID = "gyldig e-postadresse"
NORWEGIAN = re.compile(r"\b(?:og|er|du|vi|deg|ikke|hva|til|kan|eller|jeg|det|på|har)\b", re.I)


def codes_to(env, to: str) -> int:
    return sum("ngangskode" in m.get("body", "") for m in messages_to(env, to))


def tickets_of(env, sender: str) -> list:
    return [r for r in requests_json(env) if sender in json.dumps(r)]


@pytest.mark.parametrize("no", ["nei takk, ikkje no", "nei, jeg går rett til Datatilsynet jeg"])
def test_a_no_to_the_complaint_offer_writes_nothing(assistant, no):
    sender = new_sender("decline")
    before = len(requests_json(assistant.env))
    turns = conversation(assistant, sender, "jeg vil klage på dere", no)
    assert "ikke skrevet noen klage" in joined(turns[1]), turns
    assert len(requests_json(assistant.env)) == before


def test_a_question_at_the_code_step_keeps_the_code(assistant):
    sender = new_sender("code-question")
    env = assistant.env
    turns = conversation(assistant, sender, "jeg vil ha innsyn", KNOWN_EMAIL)
    sent = codes_to(env, KNOWN_EMAIL)
    code = latest_code(env, KNOWN_EMAIL)
    turns += conversation(assistant, sender, "Vent litt, hva er det dere IKKE kan slette?", code)
    assert NOT_VALID not in joined(turns[2]) + joined(turns[3]), turns
    assert "koden stemmer" in joined(turns[3]), turns
    assert codes_to(env, KNOWN_EMAIL) == sent  # no new code, no quota spent


def test_a_narrow_opt_out_keeps_the_letters(assistant):
    sender = new_sender("narrow")
    address = f"{sender}@example.com"
    conversation(
        assistant, sender, "Kan dere stoppe reklame på e-post men fortsette å sende brev?", address
    )
    rows = [r for r in suppressions(assistant.env) if r.get("address") == address]
    assert {r["channel"] for r in rows} == {"email"}, rows


def test_a_cancel_in_other_words_cancels(assistant):
    sender = new_sender("cancel-words")
    turns = conversation(
        assistant, sender, "jeg vil ha innsyn", "hmm, nei forresten, jeg lar det være"
    )
    assert NOT_VALID not in joined(turns[1]) and "avbrutt" in joined(turns[1]), turns


def test_an_opt_out_in_nynorsk_switches_from_the_objection(assistant):
    sender = new_sender("nynorsk")
    turns = conversation(
        assistant,
        sender,
        "eg vil protestere",
        "kan eg be dokker om å ikkje bruke opplysningane mine til marknadsføring",
    )
    assert NOT_VALID not in joined(turns[1]), turns
    assert "Hvilken reklame vil du stoppe?" in joined(turns[1]), turns


def test_english_stays_english_through_no_code(assistant):
    sender = new_sender("english")
    turns = conversation(
        assistant, sender, "I would like a copy of my data", KNOWN_EMAIL, "no code"
    )
    for text in (t for turn in turns for t in turn):
        assert not NORWEGIAN.search(text.replace("«avbryt»", "")), text


@pytest.mark.parametrize(
    "question,said",
    [
        ("Bruker dere kunstig intelligens til å avgjøre noe om meg?", "sier ikke noe om"),
        ("Hvor er opplysningene mine lagret?", "sier ikke noe om"),
        ("Koster det noe å få innsyn?", "gratis"),
        ("Do you transfer my data outside the EEA?", "does not say"),
    ],
)
def test_a_question_the_policy_is_silent_on_gets_the_honest_answer_and_no_form(
    assistant, question, said
):
    env = assistant.env
    sender = new_sender("silent")
    before = len(requests_json(env))
    (reply,) = conversation(assistant, sender, question)
    text = joined(reply)
    assert said in text and "63 85 88 70" in text, reply
    # no form: nobody is asked for a contact point, nothing is written
    assert "registrert hos oss?" not in text and "registered with us?" not in text, reply
    assert len(requests_json(env)) == before


def test_an_unexpected_code_question_at_the_code_step_sends_no_code_and_the_code_holds(
    assistant,
):
    """«Hvorfor fikk jeg en kode?» mid-request gets the security advice; the code already
    sent stays valid, no new code goes out (no quota spent), and it verifies the request."""
    env = assistant.env
    sender = new_sender("why-code")
    conversation(assistant, sender, "jeg vil ha innsyn", KNOWN_EMAIL)
    sent = codes_to(env, KNOWN_EMAIL)
    code = latest_code(env, KNOWN_EMAIL)
    turns = conversation(assistant, sender, "hvorfor fikk jeg en kode på e-post?", code)
    assert "ikke gi koden til noen" in joined(turns[0]).lower(), turns
    assert codes_to(env, KNOWN_EMAIL) == sent
    assert "koden stemmer" in joined(turns[1]), turns


def test_a_yes_after_an_english_answer_stays_english(assistant):
    """«yes» to an answer that offered nothing («Can I object to direct marketing?») got the
    Norwegian «Hva kan jeg hjelpe med?» (utter_affirm_no_context had no English variation)."""
    sender = new_sender("english-yes")
    turns = conversation(assistant, sender, "Can I object to direct marketing?", "yes")
    reply = joined(turns[1])
    assert reply and not NORWEGIAN.search(reply), turns


def test_a_rights_question_naming_the_right_gets_that_rights_answer(assistant):
    """«Hva inneholder et registerutdrag?» was answered with the fee («sier ikke noe om
    pris»): a question that names a right gets that right's answer, and starts no form."""
    sender = new_sender("named-right")
    (turn,) = conversation(assistant, sender, "Hva inneholder et registerutdrag?")
    reply = joined(turn)
    assert "registrert" in reply and "pris" not in reply, turn
    assert "engangskode" not in reply, turn  # no form: the code question is not asked
