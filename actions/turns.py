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
# A message about a topic the policy says nothing about gets the honest answer whatever the
# NLU took it for (data/rules/topics.yml, &questions; «Ringer dere folk med telefonsalg?» is
# often taken for a handoff), except these, which go their own way.
OWN_WAY_INTENTS = CANCEL_INTENTS | REQUEST_INTENTS | frozenset({"goodbye"})

# --- how sure the NLU must be --------------------------------------------------------------

# Free text (a new address, what the person objects to) is taken as a value unless the NLU is
# this sure that it is something else, or it is a question.
FREE_TEXT_INTERRUPTION_CONFIDENCE = 0.8
# Small talk that is the whole message («takk», «hei», «ha det bra») is never free text.
SMALL_TALK_MAX_WORDS = 4
SMALL_TALK_CONFIDENCE = 0.5
# A request of another kind, this short, switches even from a step that takes any words.
SWITCH_MAX_WORDS = 8
# Neighbouring rights whose steps ask what the request is about: a processing named there
# («ikke statistikk» while asked what to restrict) sounds like the neighbour; it switches
# only when the message names the neighbour (entity request_kind: «jeg vil heller protestere»).
NEIGHBOURS = (frozenset({"request_objection", "request_restriction"}),)

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


# A cancel in other words: «hmm, nei forresten, jeg lar det være», «glem det», «drit i det».
CANCEL_WORDS = re.compile(
    r"\b(?:avbryt\w*|(?:jeg |eg |æ )?lar (?:det|det hele|dette) (?:være|vere|vera)|"
    r"la (?:det|dette) (?:være|vere)|glem det|gløym det|drit i det|dropp det|"
    r"nei,? forresten|nei,? førresten|ombestemt meg|trekker (?:den|det|forespørselen)|"
    r"(?:ikke|ikkje) likevel|(?:ikke|ikkje) allikevel|never ?mind|forget it|^\s*cancel|"
    r"changed my mind|skip it|don'?t bother)\b",
    re.IGNORECASE,
)
# An opt-out in any dialect: marketing named, with a stop or a «do not use»
# («kan eg be dokker om å ikkje bruke opplysningane mine til marknadsføring»).
MARKETING_WORDS = re.compile(
    r"reklame|markedsf[øo]ring|marknadsf[øo]ring|nyhetsbrev|tilbod|salgsmeld|"
    r"marketing|newsletter|advert",
    re.IGNORECASE,
)
STOP_WORDS = re.compile(
    r"\b(?:stopp\w*|stopp|stans\w*|slutt\w*|avslutt\w*|reserver\w*|meld\w* (?:meg )?av|"
    r"(?:ikke|ikkje|itj|ikkj|aldri|ingen|ingi|inga|slepp|slipp\w*)|not|no more|stop\w*|"
    r"unsubscri\w*|opt.?out)\b",
    re.IGNORECASE,
)
# Questions ask with a question word; «kan dere slette meg?» is a request, not a question.
WH_QUESTION = re.compile(
    r"(?:^|[,.!:;]\s*|\bvent(?: litt)?\s*,?\s*)(?:hvordan|korleis|koss|kossen|hvor|kor|hva|"
    r"kva|ka|hvem|kven|kem|hvorfor|kvifor|korfor|når|how|where|what|who|why|when)\b",
    re.IGNORECASE,
)
# The steps where any words can be the value (what to restrict, the complaint, a new name)
FREE_TEXT_SLOTS = frozenset(
    {"request_details", "complaint_text", "correction_value", "contact_point"}
)


class Reading(str, Enum):
    ANSWER = "answer"  # the form takes it as its step's value
    QUESTION = "question"  # answered by an in-form rule; the step resumes
    CANCEL = "cancel"
    DECLINE = "decline"  # a no to an offer
    SWITCH = "switch"  # another request
    OPT_OUT = "opt_out"  # a switch to the opt-out, whatever the NLU took it for


def cancels(text: str) -> bool:
    return bool(CANCEL_WORDS.search(text))


def asks_opt_out(text: str) -> bool:
    return bool(MARKETING_WORDS.search(text) and STOP_WORDS.search(text)) and "?" not in text


# Intents the NLU gives a question it did not recognise as one (besides a request's)
UNREAD_QUESTION_INTENTS = (REQUEST_INTENTS - {"request_status"}) | ANSWER_INTENTS | FALLBACK_INTENTS


def asks_about_a_right(message: Dict[str, Any]) -> bool:
    """A question the NLU read as a request or a value («Vent litt, hva er det dere IKKE kan
    slette?»): a question word and a question mark, asking rather than starting or
    answering."""
    intent = (message.get("intent") or {}).get("name")
    text = message.get("text") or ""
    return intent in UNREAD_QUESTION_INTENTS and "?" in text and bool(WH_QUESTION.search(text))


def form_turn(
    message: Dict[str, Any],
    form: Optional[str],
    requested: Optional[str],
    kind: Optional[str] = None,
) -> Optional[str]:
    """The value of the ``form_turn`` slot (data/rules/digressions.yml reads it): what a
    message inside a form is when the intent alone does not say — «question» (a question the
    NLU took for a request), «cancel» (a cancel in other words), «opt_out» (an opt-out the
    NLU took for something else); None otherwise, and outside a form."""
    if not form:
        return None
    reading = read(message, free_text=requested in FREE_TEXT_SLOTS, form=form, kind=kind)
    if reading is Reading.QUESTION and asks_about_a_right(message):
        return "question"
    if reading is Reading.CANCEL:
        return "cancel"
    if reading is Reading.OPT_OUT:
        return "opt_out"
    return None


def words(text: str) -> int:
    return len(text.split())


def is_question(text: str) -> bool:
    """Does the message ask something («hva kan dere ikke slette?», «vent litt, hvordan ...»)?"""
    return "?" in text or bool(QUESTION_START.match(text))


def declines(text: str, intent: Optional[str]) -> bool:
    """A no to an offer: «nei», «nei takk, ikkje no», «nei, jeg går rett til Datatilsynet»,
    «ikke nå» — short, or a «nei» that says why not (elsewhere, later)."""
    if "?" in text:
        return False
    if intent == "deny" and words(text) <= 3:
        return True  # «nope», a button's /deny
    if not DECLINE.match(text):
        return False
    return (
        words(text) <= DECLINE_MAX_WORDS
        or bool(DECLINE_REASON.search(text))
        or intent in ("deny", "cancel")
    )


def read(
    message: Dict[str, Any],
    *,
    free_text: bool = False,
    form: Optional[str] = None,
    kind: Optional[str] = None,
) -> Reading:
    """What the latest message (Rasa's ``latest_message``: text, intent) is to a form step
    that wants a value; ``free_text`` when any words could be that value. ``form``: the
    active form (an opt-out inside the opt-out form is its answer); ``kind``: the request in
    progress (``request_kind``)."""
    intent = (message.get("intent") or {}).get("name")
    confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
    text = (message.get("text") or "").strip()
    # a complaint about marketing («dere sendte meg reklame etter at jeg sa stopp») is the
    # complaint; anywhere else in a form, an opt-out in words is the opt-out
    complaint_text = form == "complaint_form" and free_text
    if form != "opt_out_form" and not complaint_text and asks_opt_out(text):
        return Reading.OPT_OUT
    if free_text:
        # «Ikke bruk dem til noe annet enn det loven krever» is what to restrict: only the
        # words of a cancel (or «avbryt» alone) cancel a step that takes any words
        if cancels(text) or (intent in CANCEL_INTENTS and words(text) <= 2):
            return Reading.CANCEL
    elif intent in CANCEL_INTENTS or cancels(text):
        return Reading.CANCEL
    if intent in CANCEL_INTENTS:
        return Reading.ANSWER
    if not free_text and asks_about_a_right(message):
        return Reading.QUESTION
    if intent not in INTERRUPTING_INTENTS:
        return Reading.ANSWER
    if not free_text:
        return Reading.SWITCH if intent in REQUEST_INTENTS else Reading.QUESTION
    if intent in REQUEST_INTENTS:
        # "ikke statistikk" while asked what to restrict reads like a restriction of its own:
        # the answer; a sure, short request of another kind («jeg vil heller ha innsyn»)
        # while asked for the complaint or the details switches
        # (an opt-out the NLU hears in «dere ringer meg hele tiden» is the complaint's words)
        other = intent in RIGHTS_REQUEST_INTENTS and intent != f"request_{kind}"
        if other and frozenset({intent, f"request_{kind}"}) in NEIGHBOURS:
            named = {
                e.get("value")
                for e in message.get("entities") or []
                if e.get("entity") == "request_kind"
            }
            other = intent[len("request_") :] in named
        sure = confidence >= FREE_TEXT_INTERRUPTION_CONFIDENCE
        short = words(text) <= SWITCH_MAX_WORDS
        return Reading.SWITCH if other and sure and short else Reading.ANSWER
    if intent in SMALL_TALK_INTENTS and words(text) <= SMALL_TALK_MAX_WORDS:
        return Reading.QUESTION if confidence >= SMALL_TALK_CONFIDENCE else Reading.ANSWER
    if complaint_text and not is_question(text):
        # what happened, told as it happened («Dere ringte meg om fjernvarme selv om jeg har
        # reservert meg mot telefonsalg») is the complaint, however sure the NLU is that it
        # is about marketing
        return Reading.ANSWER
    if "?" in text or confidence >= FREE_TEXT_INTERRUPTION_CONFIDENCE:
        return Reading.QUESTION
    return Reading.ANSWER


# --- the actions that read a turn and answer a question about a right ---------------------

from rasa_sdk import Action, Tracker  # noqa: E402
from rasa_sdk.events import SlotSet  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

RIGHT_BY_INTENT = {intent: intent.removeprefix("request_") for intent in REQUEST_INTENTS}
# The right a question names when the NLU read it as a value («hva kan dere ikke slette?»)
RIGHT_WORDS = [
    ("opt_out", MARKETING_WORDS),
    ("erasure", re.compile(r"slett|fjern|erase|delete", re.I)),
    ("correction", re.compile(r"rett(?:e|ing)|endr|korriger|correct", re.I)),
    ("restriction", re.compile(r"begrens|avgrens|restrict", re.I)),
    ("objection", re.compile(r"protest|innsigelse|motsegn|object", re.I)),
    ("portability", re.compile(r"flytt|overf[øo]r|portab|maskinlesbar", re.I)),
    ("access", re.compile(r"innsyn|registerutdrag|kopi|access|copy", re.I)),
]


def right_asked_about(message: Dict[str, Any]) -> Optional[str]:
    intent = (message.get("intent") or {}).get("name") or ""
    if intent in RIGHT_BY_INTENT:
        return RIGHT_BY_INTENT[intent]
    text = message.get("text") or ""
    return next((right for right, pattern in RIGHT_WORDS if pattern.search(text)), None)


class ActionReadTurn(Action):
    """The ``form_turn`` slot's custom mapping (action_extract_slots runs it each message)."""

    def name(self) -> str:
        return "action_read_turn"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        form = (tracker.active_loop or {}).get("name")
        value = form_turn(
            tracker.latest_message,
            form,
            tracker.get_slot("requested_slot"),
            tracker.get_slot("request_kind"),
        )
        if value == tracker.get_slot("form_turn"):
            return []
        return [SlotSet("form_turn", value)]


class ActionAnswerAboutRight(Action):
    """Inside a form, a question the NLU read as a request («hva er det dere IKKE kan
    slette?»): what the right is, without starting it; the form then resumes its step."""

    def name(self) -> str:
        return "action_answer_about_right"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        right = right_asked_about(tracker.latest_message)
        dispatcher.utter_message(response=f"utter_right_{right}" if right else "utter_help_in_form")
        return []
