"""Items 2-4 (issue 18): every step of a form understands the customer.

Whole conversations through the real rules, Rasa's FormAction and the real validation
(tests/support/dialogue.py): nothing here tells a form to reject a message; the validation
decides, as it does in the running assistant. The NLU output is given as the trained model
reads these messages, and where it is unsure, as each reading it might give.
"""

from __future__ import annotations

import pytest

from tests.dialogue.conftest import codes_sent, tickets

PHONE = "912 34 567"  # demo customer 10001
NOT_VALID = "gyldig e-postadresse"
CANCELLED = "jeg har avbrutt"


def at_the_code_step(chat, request="jeg vil ha innsyn", intent="request_access"):
    c = chat()
    c.say(request, intent)
    turn = c.say(PHONE, "inform")
    assert "engangskode" in turn.text and len(codes_sent()) == 1
    return c


# --- 2. a question at any step is answered and the step resumes --------------------------


@pytest.mark.parametrize(
    "intent", ["request_erasure", "ask_rights", "ask_retention", "nlu_fallback", "inform"]
)
def test_a_question_at_the_code_step_keeps_the_code(chat, intent):
    c = at_the_code_step(chat)
    question = c.say("Vent litt, hva er det dere IKKE kan slette?", intent, 0.7)
    assert NOT_VALID not in question.text and "engangskode" in question.text, question
    assert "nå sendt" not in question.text  # no claim of a new code
    assert c.form == "rights_form" and c.slot("requested_slot") == "otp_code"
    turn = c.say(codes_sent()[-1], "inform")
    assert NOT_VALID not in turn.text, turn
    assert len(codes_sent()) == 1  # no new code, no quota spent
    (ticket,) = tickets()
    assert ticket["kind"] == "access" and ticket["verified"] is True


def test_the_question_about_erasure_is_answered_with_what_cannot_be_erased(chat):
    c = at_the_code_step(chat)
    turn = c.say("Vent litt, hva er det dere IKKE kan slette?", "request_erasure", 0.7)
    assert "kan vi ikke slette" in turn.text, turn
    assert "bekrefte hvem du er" not in turn.text


def test_a_request_in_question_form_is_still_a_request(chat):
    """Control: «kan dere slette meg?» asks for the erasure: it switches the request."""
    c = at_the_code_step(chat)
    c.say("kan dere slette meg?", "request_erasure", 0.9)
    assert c.slot("request_kind") == "erasure"


def test_a_question_when_asked_for_the_contact_point_resumes_there(chat):
    c = chat()
    c.say("jeg vil ha innsyn", "request_access")
    turn = c.say("hva er det dere ikke kan slette?", "request_erasure", 0.7)
    assert NOT_VALID not in turn.text and c.slot("requested_slot") == "identifier"
    c.say(PHONE, "inform")
    assert len(codes_sent()) == 1


# --- 3. a cancel in other words cancels; details are details ---------------------------


@pytest.mark.parametrize("intent", ["deny", "inform", "nlu_fallback", "cancel", "out_of_scope"])
def test_a_cancel_in_other_words_cancels_when_asked_for_the_contact_point(chat, intent):
    c = chat()
    c.say("jeg vil ha innsyn", "request_access")
    turn = c.say("hmm, nei forresten, jeg lar det være", intent, 0.5)
    assert NOT_VALID not in turn.text and CANCELLED in turn.text, turn
    assert c.form is None and tickets() == []


@pytest.mark.parametrize("intent", ["deny", "inform", "nlu_fallback", "cancel"])
def test_a_cancel_in_other_words_cancels_at_the_code_step(chat, intent):
    c = at_the_code_step(chat)
    turn = c.say("hmm, nei forresten, jeg lar det være", intent, 0.5)
    assert CANCELLED in turn.text, turn
    assert c.form is None and tickets() == []


def verified_restriction(chat):
    c = at_the_code_step(chat, "jeg vil begrense behandlingen", "request_restriction")
    turn = c.say(codes_sent()[-1], "inform")
    assert "begrense" in turn.text and c.slot("requested_slot") == "request_details", turn
    return c


@pytest.mark.parametrize("intent", ["cancel", "deny", "inform", "request_restriction"])
def test_what_to_restrict_in_negative_words_is_the_restriction_not_a_cancel(chat, intent):
    c = verified_restriction(chat)
    details = "Ikke bruk dem til noe annet enn det loven krever"
    turn = c.say(details, intent, 0.7)
    assert CANCELLED not in turn.text and "PV-" in turn.text, turn
    (ticket,) = tickets()
    assert ticket["kind"] == "restriction" and ticket["verified"] is True
    assert ticket["details"]["request_details"] == details


def test_a_plain_cancel_still_cancels_the_details_step(chat):
    c = verified_restriction(chat)
    turn = c.say("avbryt", "cancel", 0.95)
    assert CANCELLED in turn.text and tickets() == []


# --- 4. an opt-out or another request in any dialect switches -----------------------------


@pytest.mark.parametrize(
    "intent", ["request_objection", "inform", "ask_marketing", "nlu_fallback", "deny"]
)
def test_an_opt_out_in_nynorsk_inside_the_objection_form_switches_to_the_opt_out(chat, intent):
    c = chat()
    c.say("eg vil protestere", "request_objection")
    text = "kan eg be dokker om å ikkje bruke opplysningane mine til marknadsføring"
    turn = c.say(text, intent, 0.6)
    assert NOT_VALID not in turn.text, turn
    assert c.form == "opt_out_form", turn
    assert "Hvilken reklame vil du stoppe?" in turn.text
    assert codes_sent() == []


def test_stop_marketing_on_sms_inside_the_rights_form_still_switches(chat):
    c = at_the_code_step(chat)
    turn = c.say("stopp reklame på sms", "request_opt_out", 0.9)
    assert c.form == "opt_out_form", turn


def test_another_request_when_the_complaint_is_wanted_switches(chat):
    c = chat()
    c.say("jeg vil klage", "ask_complaint")
    c.say("jeg vil heller ha innsyn", "request_access", 0.92)
    assert c.form == "rights_form" and c.slot("request_kind") == "access"
    assert tickets() == []


def test_a_restriction_in_the_words_of_a_restriction_is_still_the_details(chat):
    """Control: «ikke statistikk» reads as request_restriction while restricting."""
    c = verified_restriction(chat)
    c.say("ikke bruk dem til statistikk", "request_restriction", 0.9)
    (ticket,) = tickets()
    assert ticket["details"]["request_details"] == "ikke bruk dem til statistikk"


def test_a_processing_named_while_restricting_is_the_details_even_if_it_sounds_like_an_objection(
    chat,
):
    """«ikke statistikk» while asked what to restrict, read as a sure request_objection: the
    details of the restriction, not a switch to the neighbouring right."""
    c = verified_restriction(chat)
    c.say("ikke statistikk", "request_objection", 0.95)
    (ticket,) = tickets()
    assert ticket["kind"] == "restriction"
    assert ticket["details"]["request_details"] == "ikke statistikk"


def test_naming_the_neighbouring_right_while_restricting_switches(chat):
    c = verified_restriction(chat)
    kind = [{"entity": "request_kind", "value": "objection"}]
    c.say("jeg vil heller protestere", "request_objection", 0.95, entities=kind)
    assert c.slot("request_kind") == "objection" and tickets() == []


def test_the_same_request_again_at_the_code_step_goes_on_where_it_was(chat):
    c = at_the_code_step(chat)
    turn = c.say("jeg vil ha innsyn i opplysningene mine", "request_access", 0.95)
    assert c.slot("requested_slot") == "otp_code" and "nå sendt" not in turn.text, turn
    c.say(codes_sent()[-1], "inform")
    assert len(codes_sent()) == 1
    (ticket,) = tickets()
    assert ticket["verified"] is True
