"""Rights requests over the REST channel, against the real servers and a real register.

The one-time code is read from the outbox (the default ``outbox`` notifier records every
message it sends), exactly where a customer would find it in their inbox.
"""

from __future__ import annotations

import re

import pytest

from tests.actions.conftest import (
    CONTACT,
    KNOWN_EMAIL,
    KNOWN_EMAIL_MIXED_CASE,
    by_reference,
    conversation,
    joined,
    latest_code,
    masked,
    messages_to,
    new_sender,
    reference_in,
    requests_json,
    texts,
    wrong_code,
)

pytestmark = [pytest.mark.e2e]

# what the register holds about demo customer 10002 (must never appear in the chat)
OLA_PRIVATE = ["Bjørkelia", "412 34 567", "+4741234567", "Ola Nordmann", "10002"]


def verify(assistant, sender: str, request: str, identifier: str, registered: str) -> list:
    """Start a request, give the identifier, type the code from the outbox."""
    turns = conversation(assistant, sender, request, identifier)
    code = latest_code(assistant.env, registered)
    turns += conversation(assistant, sender, code)
    return turns


def assert_no_register_data(turns) -> None:
    for text in (t for turn in turns for t in turn):
        for private in OLA_PRIVATE:
            assert private not in text, (private, text)


def test_access_with_the_right_code_writes_a_verified_ticket_and_confirms_by_e_mail(assistant):
    sender = new_sender("access-ok")
    turns = verify(
        assistant, sender, "jeg vil ha innsyn i opplysningene mine", KNOWN_EMAIL, KNOWN_EMAIL
    )
    assert "innsyn" in joined(turns[0]).lower()
    assert "Hvis vi finner deg i kunderegisteret" in joined(turns[1])
    assert "koden stemmer" in joined(turns[2])
    reference = reference_in(turns[2])
    ticket = by_reference(assistant.env, reference)
    assert ticket["kind"] == "access"
    assert ticket["verified"] is True
    assert ticket["customer_number"] == "10002"
    assert ticket["due_at"] and ticket["channel"] == "rest"
    confirmations = [m for m in messages_to(assistant.env, KNOWN_EMAIL) if reference in m["body"]]
    assert len(confirmations) == 1, confirmations
    assert_no_register_data(turns)


def test_five_wrong_codes_lock_the_check_and_write_an_unverified_ticket(assistant):
    sender = new_sender("access-locked")
    conversation(assistant, sender, "kan jeg få et registerutdrag?", KNOWN_EMAIL_MIXED_CASE)
    bad = wrong_code(latest_code(assistant.env, KNOWN_EMAIL_MIXED_CASE))
    replies = [texts(assistant, sender, bad) for _ in range(5)]
    assert "4 forsøk igjen" in joined(replies[0]), replies[0]
    assert "1 forsøk igjen" in joined(replies[3]), replies[3]
    last = joined(replies[4])
    assert "for mange ganger" in last, last
    assert "underskrevet" in last and "kopi av ID-dokument" in last  # the written route
    ticket = by_reference(assistant.env, reference_in(replies[4]))
    assert ticket["kind"] == "access" and ticket["verified"] is False
    # the real code no longer works either: the conversation has moved on, nothing more
    assert "koden stemmer" not in joined(texts(assistant, sender, bad))


def test_unknown_e_mail_gets_word_for_word_the_same_replies_as_a_known_one(assistant):
    script = ["jeg vil at dere sletter alt om meg"]
    known, unknown = new_sender("same-known"), new_sender("same-unknown")
    stranger = "ukjent.person@example.no"
    known_turns = conversation(assistant, known, *script, KNOWN_EMAIL)
    unknown_turns = conversation(assistant, unknown, *script, stranger)
    bad = wrong_code(latest_code(assistant.env, KNOWN_EMAIL))
    known_turns += conversation(assistant, known, bad, "fikk ingen kode")
    unknown_turns += conversation(assistant, unknown, bad, "fikk ingen kode")
    assert masked(known_turns) == masked(unknown_turns)
    assert "registrert med referanse" in joined(unknown_turns[-1])
    # nothing is ever sent to an address only the chat supplied
    assert messages_to(assistant.env, stranger) == []
    ticket = by_reference(assistant.env, reference_in(unknown_turns[-1]))
    assert ticket["kind"] == "erasure" and ticket["verified"] is False
    assert ticket["customer_number"] in (None, "")


def test_cancel_in_the_middle_of_a_form_writes_no_ticket(assistant):
    sender = new_sender("cancel")
    before = len(requests_json(assistant.env))
    turns = conversation(
        assistant, sender, "jeg vil rette opplysningene mine", KNOWN_EMAIL, "avbryt"
    )
    assert "avbrutt" in joined(turns[-1]), turns
    assert len(requests_json(assistant.env)) == before
    # and the conversation goes on normally
    assert "3 måneder" in joined(texts(assistant, sender, "hvor lenge lagrer dere opplysningene?"))


def test_no_forget_it_when_asked_for_the_contact_point_cancels(assistant):
    before = len(requests_json(assistant.env))
    for message in ("nei, glem det", "nei"):
        turns = conversation(assistant, new_sender("forget"), "jeg vil ha innsyn", message)
        assert "avbrutt" in joined(turns[-1]) and "gyldig" not in joined(turns[-1]), turns
    assert len(requests_json(assistant.env)) == before


def test_the_code_question_after_a_policy_question_claims_no_new_code(assistant):
    sender = new_sender("midcode")
    turns = conversation(assistant, sender, "jeg vil ha innsyn", KNOWN_EMAIL)
    assert "nå sendt" in joined(turns[-1])  # the code was sent in this turn
    code = latest_code(assistant.env, KNOWN_EMAIL)
    sent = len(messages_to(assistant.env, KNOWN_EMAIL))
    answer = joined(texts(assistant, sender, "hvor lenge lagrer dere opplysningene?"))
    assert "3 måneder" in answer and "engangskoden" in answer, answer
    assert "nå sendt" not in answer and "ny kode" not in answer, answer
    assert len(messages_to(assistant.env, KNOWN_EMAIL)) == sent
    turns = conversation(assistant, sender, code)
    ticket = by_reference(assistant.env, reference_in(turns[-1]))
    assert ticket["verified"] is True


def test_a_policy_question_in_the_middle_of_a_form_is_answered_and_the_form_goes_on(assistant):
    sender = new_sender("midform")
    turns = conversation(
        assistant,
        sender,
        "jeg vil ha dataene mine i et maskinlesbart format",
        "hvor lenge lagrer dere opplysningene?",
    )
    assert "3 måneder" in joined(turns[1]), turns
    assert "e-postadresse eller hvilket mobilnummer" in joined(turns[1])  # asked again
    turns = verify(assistant, sender, KNOWN_EMAIL, KNOWN_EMAIL, KNOWN_EMAIL)[1:]
    ticket = by_reference(assistant.env, reference_in(turns[-1]))
    assert ticket["kind"] == "portability" and ticket["verified"] is True
    assert "maskinlesbart" in joined(turns[-1])


def test_correction_records_the_field_and_the_new_value(assistant):
    sender = new_sender("correction")
    turns = verify(assistant, sender, "jeg vil rette opplysningene mine", KNOWN_EMAIL, KNOWN_EMAIL)
    assert "Hvilken opplysning" in joined(turns[-1]), turns
    turns = conversation(assistant, sender, "adressen", "Storgata 5, 8646 Korgen", "ja")
    assert "adresse" in joined(turns[0]), turns
    assert "Stemmer dette: ny adresse «Storgata 5, 8646 Korgen»?" in joined(turns[1]), turns
    ticket = by_reference(assistant.env, reference_in(turns[-1]))
    assert ticket["kind"] == "correction" and ticket["verified"] is True
    assert ticket["details"]["field"] == "address"
    assert ticket["details"]["new_value"] == "Storgata 5, 8646 Korgen"


def test_correction_of_the_phone_number_is_normalised_and_a_bad_one_asked_again(assistant):
    sender = new_sender("correction-phone")
    verify(assistant, sender, "noe av det dere har om meg er feil", KNOWN_EMAIL, KNOWN_EMAIL)
    turns = conversation(assistant, sender, "telefon", "12", "975 27 745", "ja")
    assert "telefonnummer" in joined(turns[0]), turns
    assert "gyldig norsk mobilnummer" in joined(turns[1]), turns
    assert "«+4797527745»" in joined(turns[2]), turns
    ticket = by_reference(assistant.env, reference_in(turns[-1]))
    assert ticket["details"] == {**ticket["details"], "field": "phone", "new_value": "+4797527745"}


def test_a_correction_answered_with_the_field_name_or_a_no_is_asked_again(assistant):
    sender = new_sender("correction-field-name")
    verify(assistant, sender, "adressen min er feil", KNOWN_EMAIL, KNOWN_EMAIL)
    before = len(requests_json(assistant.env))
    turns = conversation(
        assistant, sender, "adresse", "Storgata 5", "Storgata 5, 8646 Korgen", "nei"
    )
    assert "ikke navnet på den" in joined(turns[0]), turns
    assert "postnummer" in joined(turns[1]), turns
    assert "Stemmer dette" in joined(turns[2]), turns
    assert "adresse" in joined(turns[3]) and "?" in joined(turns[3]), turns
    assert len(requests_json(assistant.env)) == before  # nothing written before a yes
    turns = conversation(assistant, sender, "Storgata 7, 8646 Korgen", "ja")
    ticket = by_reference(assistant.env, reference_in(turns[-1]))
    assert ticket["details"]["new_value"] == "Storgata 7, 8646 Korgen"


def test_erasure_says_what_the_law_makes_us_keep(assistant):
    sender = new_sender("erasure")
    turns = verify(assistant, sender, "slett meg fra kunderegisteret", KNOWN_EMAIL, KNOWN_EMAIL)
    assert "fakturaer" in joined(turns[0]) and "regnskap" in joined(turns[0])
    assert "bokføringsreglene" in joined(turns[-1])
    ticket = by_reference(assistant.env, reference_in(turns[-1]))
    assert ticket["kind"] == "erasure" and ticket["verified"] is True


@pytest.mark.parametrize(
    "request_text,kind,details",
    [
        ("jeg vil protestere mot behandlingen av dataene mine", "objection", "kundeundersøkelser"),
        ("jeg vil begrense behandlingen av opplysningene mine", "restriction", "ikke statistikk"),
    ],
)
def test_objection_and_restriction_record_what_the_person_means(
    assistant, request_text, kind, details
):
    sender = new_sender(kind)
    turns = verify(assistant, sender, request_text, KNOWN_EMAIL, KNOWN_EMAIL)
    assert "?" in joined(turns[-1])  # asks what it is about
    turns = conversation(assistant, sender, details)
    ticket = by_reference(assistant.env, reference_in(turns[-1]))
    assert ticket["kind"] == kind and ticket["verified"] is True
    assert details in str(ticket["details"])


def test_an_objection_that_says_what_in_the_first_message_is_not_asked_again(assistant):
    sender = new_sender("objection-first")
    first = "jeg protesterer mot at dere bruker dataene mine til kundeundersøkelser"
    turns = verify(assistant, sender, first, KNOWN_EMAIL, KNOWN_EMAIL)
    ticket = by_reference(assistant.env, reference_in(turns[-1]))  # no question: written
    assert ticket["kind"] == "objection" and "kundeundersøkelser" in str(ticket["details"])


def test_status_shows_open_requests_after_the_check_and_nothing_without_it(assistant):
    sender = new_sender("status-setup")
    first = verify(assistant, sender, "jeg vil ha innsyn", "912 34 567", "+4791234567")
    reference = reference_in(first[-1])
    sender = new_sender("status")
    turns = verify(assistant, sender, "hva er status på saken min?", "912 34 567", "+4791234567")
    answer = joined(turns[-1])
    assert reference in answer and "innsyn" in answer.lower() and "frist" in answer.lower()
    assert re.search(r"\d\d\.\d\d\.\d{4} \(om \d+ dager\)", answer), answer
    assert "Hemnes Gårdsdrift" not in answer and "post@hemnesgard.no" not in answer
    # without the code: no status, the same words whether known or not
    unverified = conversation(
        assistant, new_sender("status-no"), "status på saken min", "912 34 567", "ingen kode"
    )
    assert reference not in joined(unverified[-1])
    assert "Uten bekreftet identitet" in joined(unverified[-1])


def test_a_status_question_after_a_request_needs_its_own_check(assistant):
    # a verified ticket means the person proved it in THIS request (issue 22): a status
    # question later in the conversation (a shared computer, the next person) asks again
    sender = new_sender("status-again")
    first = verify(assistant, sender, "jeg vil ha innsyn", "912 34 567", "+4791234567")
    reference = reference_in(first[-1])
    again = conversation(assistant, sender, "hva er status på saken min?")
    assert reference not in joined(again[0]), again
    assert "bekrefte hvem du er" in joined(again[0]), again


def test_human_handoff_in_a_form_gives_contact_details_and_the_form_goes_on(assistant):
    sender = new_sender("handoff")
    before = len(requests_json(assistant.env))
    turns = conversation(assistant, sender, "jeg vil ha innsyn", "kan jeg snakke med et menneske?")
    assert CONTACT in joined(turns[1]), turns
    assert "e-postadresse eller hvilket mobilnummer" in joined(turns[1])
    assert len(requests_json(assistant.env)) == before


def test_a_corrected_e_mail_within_the_minute_is_asked_for_again_not_checked_wrongly(assistant):
    sender = new_sender("fix-email")
    conversation(assistant, sender, "jeg vil ha innsyn", "ola.nordman@example.no")
    # the register sends at most one code a minute per conversation: the assistant says so
    # and asks again, rather than check a code against the first address's challenge
    turns = conversation(assistant, sender, KNOWN_EMAIL)
    assert "én gang i minuttet" in joined(turns[0]), turns
    assert "e-postadresse eller hvilket mobilnummer" in joined(turns[0]), turns
    assert messages_to(assistant.env, "ola.nordman@example.no") == []
