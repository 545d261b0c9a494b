"""An opt-out is exactly as wide as asked (bot.nlp.marketing_scope) and its confirmation says
exactly what was stopped (actions.opt_out.confirmation): pure functions, no servers."""

from __future__ import annotations

import pytest

from actions.opt_out import confirmation
from bot.nlp.marketing_scope import channels_asked

ALL = ["sms", "email", "post"]


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        # one channel named: only that one, whatever "all"-like words are around it
        ("dere sender meg alt for mye reklame på epost", ["email"], ["email"]),
        ("dere sender meg altfor mye reklame på e-post", [], ["email"]),
        ("Stopp all reklame på e-post", [], ["email"]),
        ("stop all marketing emails please", [], ["email"]),
        ("jeg vil ikke ha sms fra dere", [], ["sms"]),
        ("ikke send meg flere reklamebrev", [], ["post"]),
        ("slutt å sende reklame i postkassen", [], ["post"]),
        ("nei takk til nyhetsbrevet", [], ["email"]),
        ("stopp reklame til ola@post.no", [], []),
        ("stopp reklame på e post", ["post"], ["email"]),  # the NLU reads "e post" as post
        # several named
        ("stopp sms og e-post", [], ["sms", "email"]),
        ("vil ikke ha reklame på brev eller sms", [], ["sms", "post"]),
        ("stopp e-post, men sms er greit", [], ["email"]),
        # a channel the customer keeps is never stopped (issue 18)
        ("Kan dere stoppe reklame på e-post men fortsette å sende brev?", [], ["email"]),
        ("stopp sms, men brev vil jeg fortsatt ha", [], ["sms"]),
        ("stopp e-post og sms men behold brev", [], ["sms", "email"]),
        ("ikkje send meir reklame på sms, men e-post går fint", [], ["sms"]),
        ("stop marketing by email but letters are fine", [], ["email"]),
        ("stopp reklame, men send gjerne brev", [], ["sms", "email"]),
        # every channel
        ("alle", [], ALL),
        ("stopp alt", [], ALL),
        ("Jeg vil ikke ha reklame i det hele tatt", [], ALL),
        ("stopp reklame på alle kanaler, også sms", [], ALL),
        ("all markedsføring", [], ALL),
        ("", ["all"], ALL),
        ("alt unntatt brev", [], ["sms", "email"]),
        # unclear: ask
        ("stopp reklame", [], []),
        ("begge deler", [], []),
        ("jeg får alt for mye reklame", [], []),
    ],
)
def test_the_channels_named_decide_and_all_means_every_channel_only_when_none_is(
    text, entities, expected
):
    assert channels_asked(text, entities) == expected


def test_a_contact_point_in_the_message_names_no_channel():
    assert channels_asked("stopp reklame, mail.post@sms.no", []) == []
    assert channels_asked("stopp sms til 975 27 747", []) == ["sms"]


def test_the_confirmation_says_what_was_stopped_for_the_contact_point_and_for_a_customer():
    assert confirmation(["email"], "ukjent@example.com") == ("utter_opt_out_done", ["email"], [])
    # "alle" with an e-mail address: e-mail stopped for the address; SMS and post only for a
    # customer registered with it (the same words whether or not there is one)
    assert confirmation(ALL, "ukjent@example.com") == (
        "utter_opt_out_done_partly",
        ["email"],
        ["sms", "post"],
    )
    assert confirmation(["post"], "ola@example.com") == (
        "utter_opt_out_done_customer",
        [],
        ["post"],
    )
    assert confirmation(["sms", "post"], "+4797527747")[1:] == (["sms"], ["post"])
