"""What a message inside a form is: the answer to the form's question, or something else.

The one place where the forms decide, from the NLU output (intent, confidence, entities) and
the words, whether the latest message answers the step or interrupts it: a question (answered
by an in-form rule, then the step resumes where it was), a cancel, a «no» to an offer, a
switch to another request. The intent groups live here and nowhere else; a fast test
(tests/dialogue/test_intent_groups.py) fails when domain.yml or data/rules/ drift from them.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, Dict, Optional

# --- the intent groups ------------------------------------------------------------------

# Questions about the policy: answered inside a form by its in-form rule, then the form
# asks its question again (data/rules/digressions.yml).
QUESTION_INTENTS = frozenset(
    {
        "ask_data_collected",
        "ask_purposes",
        "ask_legal_basis",
        "ask_retention",
        "ask_sharing",
        "ask_rights",
        "ask_marketing",
        "ask_contact",
        "ask_complaint",
    }
)
# Small talk and the assistant itself: answered inside a form too.
CHAT_INTENTS = frozenset(
    {"greet", "thank", "goodbye", "help", "bot_challenge", "human_handoff", "out_of_scope"}
)
SMALL_TALK_INTENTS = frozenset({"greet", "thank", "goodbye"})
CANCEL_INTENTS = frozenset({"cancel"})
# Requests that start (or, inside another form, switch to) a form of their own.
RIGHTS_REQUEST_INTENTS = frozenset(
    {
        "request_access",
        "request_correction",
        "request_erasure",
        "request_restriction",
        "request_objection",
        "request_portability",
        "request_status",
    }
)
OPT_OUT_INTENTS = frozenset({"request_opt_out"})
REQUEST_INTENTS = RIGHTS_REQUEST_INTENTS | OPT_OUT_INTENTS
# What answers a step: a value, a yes, a no.
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny"})
FALLBACK_INTENTS = frozenset({"nlu_fallback"})

# Without a value in the message, these interrupt a form rather than answer it.
INTERRUPTING_INTENTS = QUESTION_INTENTS | CHAT_INTENTS | CANCEL_INTENTS | REQUEST_INTENTS
ALL_INTENTS = INTERRUPTING_INTENTS | ANSWER_INTENTS | FALLBACK_INTENTS

# --- how sure the NLU must be --------------------------------------------------------------

# Free text (a new address, what the person objects to) is taken as a value unless the NLU is
# this sure that it is something else, or it is a question.
FREE_TEXT_INTERRUPTION_CONFIDENCE = 0.8
# Small talk that is the whole message («takk», «hei», «ha det bra») is never free text.
SMALL_TALK_MAX_WORDS = 4
SMALL_TALK_CONFIDENCE = 0.5

# --- the words ---------------------------------------------------------------------------

_NO = r"(?:nei|nej|næ|nope|no|nah|niks)"
# «nei takk, ikkje no», «nei, jeg går rett til Datatilsynet jeg», «ikke nå», «no thanks»:
# a no to an offer («Vil du at jeg skriver ned klagen?»), never the text it asks for.
DECLINE = re.compile(
    rf"^\s*(?:{_NO}\b|(?:ikke|ikkje|itj|ikkje)\s+(?:nå|no|nu|nødvendig|naudsynt)\b|"
    r"(?:det\s+)?(?:trengs|trenger|trengst|treng)\s+(?:ikke|ikkje)\b|"
    r"(?:glem|gløym)\s+det\b|not\s+now\b|no\s+thanks?\b)",
    re.IGNORECASE,
)
# What a longer «nei, ...» says when it still declines: going elsewhere, later, not now.
DECLINE_REASON = re.compile(
    r"datatilsynet|\b(?:seinare|senere|senare|etterpå|later|ikke nå|ikkje no|ikke no|"
    r"ikkje nå|rett til|direkte til|heller|sjøl|selv|sjølv|ombestemt|angret|nevermind)\b",
    re.IGNORECASE,
)
DECLINE_MAX_WORDS = 6
QUESTION_START = re.compile(
    r"^\s*(?:vent(?: litt)?[,.!]?\s*)?(?:hvordan|korleis|koss|hvor|kor|hva|kva|ka|hvem|kven|"
    r"kem|hvorfor|kvifor|korfor|når|kan|må|skal|er|har|får|how|where|what|who|why|when|can|"
    r"do|does|is|are|will|must)\b",
    re.IGNORECASE,
)


class Reading(str, Enum):
    ANSWER = "answer"  # the form takes it as its step's value
    QUESTION = "question"  # answered by an in-form rule; the step resumes
    CANCEL = "cancel"
    DECLINE = "decline"  # a no to an offer
    SWITCH = "switch"  # another request


def words(text: str) -> int:
    return len(text.split())


def is_question(text: str) -> bool:
    """Does the message ask something («hva kan dere ikke slette?», «vent litt, hvordan ...»)?"""
    return "?" in text or bool(QUESTION_START.match(text))


def declines(text: str, intent: Optional[str]) -> bool:
    """A no to an offer: «nei», «nei takk, ikkje no», «nei, jeg går rett til Datatilsynet»,
    «ikke nå» — short, or a «nei» that says why not (elsewhere, later)."""
    if not DECLINE.match(text) or "?" in text:
        return False
    return (
        words(text) <= DECLINE_MAX_WORDS
        or bool(DECLINE_REASON.search(text))
        or intent in ("deny", "cancel")
    )


def read(message: Dict[str, Any], *, free_text: bool = False) -> Reading:
    """What the latest message (Rasa's ``latest_message``: text, intent) is to a form step
    that wants a value; ``free_text`` when any words could be that value."""
    intent = (message.get("intent") or {}).get("name")
    confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
    text = (message.get("text") or "").strip()
    if intent in CANCEL_INTENTS:
        return Reading.CANCEL
    if intent not in INTERRUPTING_INTENTS:
        return Reading.ANSWER
    if not free_text:
        return Reading.SWITCH if intent in REQUEST_INTENTS else Reading.QUESTION
    if intent in REQUEST_INTENTS:
        # "ikke statistikk" while asked what to restrict reads like a request of its own
        return Reading.ANSWER
    if intent in SMALL_TALK_INTENTS and words(text) <= SMALL_TALK_MAX_WORDS:
        return Reading.QUESTION if confidence >= SMALL_TALK_CONFIDENCE else Reading.ANSWER
    if "?" in text or confidence >= FREE_TEXT_INTERRUPTION_CONFIDENCE:
        return Reading.QUESTION
    return Reading.ANSWER
