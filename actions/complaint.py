"""Complaints from the chat: a short form (what it is about; where to answer, optional), an
unverified ticket of kind ``complaint``, and the route to Datatilsynet.

No identity check: a complaint needs none, and the answer never depends on whether the
contact point given is a customer's. The contact point is only where the answer goes.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import (
    INTERRUPTING_INTENTS,
    RegisterUnavailable,
    RequestFormValidationAction,
    apologise,
    contact_in_message,
    folded_text,
    input_channel,
    is_interruption,
    language,
    latest_intent,
    latest_text,
    latest_user_event,
    oslo_date,
    register_call,
    reset_events,
    telegram_chat_id,
    trusted_phone,
)
from actions.turns import declines
from bot.channels.rate_limit import storage_url
from bot.config import get_settings
from bot.policy import COMPANY_CONTACT, COMPANY_CONTACT_EN
from bot.register.contacts import classify_contact
from bot.register.requests import submit_request

logger = logging.getLogger(__name__)

# Anonymous complaints (no way to answer) per client address: the channels put an opaque
# key of the address in the metadata (``client``; REST drops one a caller sends). Over the
# limit the complaint is not written; the person is told where to write instead.
ANONYMOUS_PER_CLIENT = "3/hour"
CLIENT_CHANNELS = {"rest", "socketio"}
_complaint_limits: Dict[str, Any] = {}


def _anonymous_limiter():
    if "limiter" not in _complaint_limits:
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        _complaint_limits["item"] = parse(ANONYMOUS_PER_CLIENT)
        # the limiter holds its storage weakly: keep it here
        _complaint_limits["storage"] = storage_from_string(storage_url(get_settings()))
        _complaint_limits["limiter"] = MovingWindowRateLimiter(_complaint_limits["storage"])
    return _complaint_limits["limiter"], _complaint_limits["item"]


def anonymous_complaint_allowed(tracker: Tracker) -> bool:
    """Is one more anonymous complaint from this client address allowed (counted if so)?"""
    if input_channel(tracker) not in CLIENT_CHANNELS or not get_settings().rate_limits_on:
        return True
    client = (latest_user_event(tracker).get("metadata") or {}).get("client")
    if not isinstance(client, str) or not client.startswith("c-"):
        return True
    try:
        limiter, item = _anonymous_limiter()
        return bool(limiter.hit(item, "klbot-anonymous-complaint", client))
    except Exception as exc:  # noqa: BLE001 - a broken counter store must not stop the chat
        logger.warning("Complaint limit store unavailable (%s)", type(exc).__name__)
        return True


def too_many_complaints_text(lang: str) -> str:
    if lang == "en":
        return (
            "We have received several complaints without contact details from this "
            "connection in the last hour, so this one was not registered. Please write to "
            f"us instead: {COMPANY_CONTACT_EN}."
        )
    return (
        "Vi har fått flere klager uten kontaktinformasjon fra denne forbindelsen den siste "
        "timen, så denne ble ikke registrert. Skriv til oss i stedet: "
        f"{COMPANY_CONTACT}."
    )


COMPLAINT_SLOTS = ["complaint_text", "complaint_contact"]
# The form's state, in slots of their own (never a marker in the value slots): the customer
# said no to having the complaint written; wants no answer.
STATE_SLOTS = ["complaint_declined", "complaint_no_reply"]
NO_REPLY_WANTED = re.compile(
    r"^\s*(nei|nei takk|ingen|trenger ikke|trengs ikke|ikke nødvendig|ikkje|nope|no|"
    r"vil ikke|vil ikkje|anonym\w*)\b",
    re.IGNORECASE,
)
MAX_TEXT = 2000
QUESTION = re.compile(
    r"\?\s*$|^\s*(hvordan|korleis|hvor|kor|hva|kva|hvem|kven|kan|how|where|what|can|"
    r"who)\b",
    re.IGNORECASE,
)
MIN_COMPLAINT_WORDS = 6
# «hvordan klager jeg?», «hvor sender jeg en klage?»: a question this short, asked when the
# complaint's text is wanted, is a question (its rule in data/rules/digressions.yml answers
# it), not the complaint. A complaint that ends in a question is longer.
MAX_QUESTION_WORDS = 10


def short_question(text: str) -> bool:
    return bool(QUESTION.search(text)) and len(text.split()) <= MAX_QUESTION_WORDS


def complaint_in_message(text: str) -> bool:
    """Is the message a complaint itself ("dere sendte meg reklame etter at jeg sa stopp")
    rather than a question about how to complain?"""
    return len(text.split()) >= MIN_COMPLAINT_WORDS and not QUESTION.search(text)


class ActionStartComplaint(Action):
    """The route first (contact us, Datatilsynet); a complaint written out in the message
    that started it is kept as the complaint's text, so the form does not ask for it."""

    def name(self) -> str:
        return "action_start_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_ask_complaint")
        events = reset_events(tracker, COMPLAINT_SLOTS + STATE_SLOTS)
        text = latest_text(tracker)
        if complaint_in_message(text):
            events.append(SlotSet("complaint_text", text[:MAX_TEXT]))
            found = contact_in_message(tracker)
            if found:
                events.append(SlotSet("complaint_contact", found[1]))
        return events


class ValidateComplaintForm(RequestFormValidationAction):
    state_slots = tuple(STATE_SLOTS)

    def name(self) -> str:
        return "validate_complaint_form"

    def slots_to_ask(self, tracker: Tracker) -> List[str]:
        if tracker.get_slot("complaint_declined"):
            return []  # no complaint to write after all
        if tracker.get_slot("complaint_no_reply"):
            return ["complaint_text"]
        return list(COMPLAINT_SLOTS)

    async def extract_complaint_text(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != "complaint_text":
            return {}
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        if declines(text, intent):
            return {"complaint_declined": True}  # a no to the offer, never the complaint
        if (
            intent in INTERRUPTING_INTENTS
            and not intent.startswith("request_")
            and short_question(text)
        ):
            return {}  # a question (policy, how to complain): answered, then asked again
        if intent != "ask_complaint" and is_interruption(tracker, free_text=True):
            return {}  # (a complaint itself often reads as ask_complaint: it is the answer)
        return {"complaint_text": text[:MAX_TEXT]}

    async def validate_complaint_text(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value is None:
            return {"complaint_text": None}
        text = folded_text(value)
        if text is None:
            dispatcher.utter_message(response="utter_invalid_complaint_text")
        return {"complaint_text": text}

    async def extract_complaint_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != "complaint_contact":
            return {}
        found = contact_in_message(tracker)
        if found:
            return {"complaint_contact": found[1]}
        intent, _ = latest_intent(tracker)
        text = latest_text(tracker)
        if intent == "deny" or NO_REPLY_WANTED.search(text) or declines(text, intent):
            return {"complaint_no_reply": True}
        if is_interruption(tracker):
            return {}
        return {"complaint_contact": text[:200]}  # not a contact point: said so, asked again

    async def validate_complaint_contact(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value is None:
            return {"complaint_contact": None}
        found = classify_contact(str(value))
        if not found:
            dispatcher.utter_message(response="utter_invalid_complaint_contact")
            return {"complaint_contact": None}
        return {"complaint_contact": found[1]}


class ActionSubmitComplaint(Action):
    """Writes the complaint as an unverified ticket and tells the route to Datatilsynet."""

    def name(self) -> str:
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events = reset_events(tracker, COMPLAINT_SLOTS + STATE_SLOTS)
        if tracker.get_slot("register_error"):
            return events
        about = tracker.get_slot("complaint_text") or ""
        if not about or tracker.get_slot("complaint_declined"):
            dispatcher.utter_message(response="utter_complaint_not_written")
            return events
        contact: Optional[str] = tracker.get_slot("complaint_contact")
        proven_phone, telegram_chat = trusted_phone(tracker), telegram_chat_id(tracker)
        wants_answer = not tracker.get_slot("complaint_no_reply") and bool(
            contact or proven_phone or telegram_chat
        )
        if not wants_answer and not anonymous_complaint_allowed(tracker):
            logger.warning("Anonymous complaint over the per-address limit; not written")
            dispatcher.utter_message(text=too_many_complaints_text(language(tracker)))
            return events

        try:
            submitted = await register_call(
                submit_request,
                kind="complaint",
                channel=input_channel(tracker),
                identifier=contact,
                verified=False,
                details={"about": about, "contact_given": contact, "wants_answer": wants_answer},
                conversation_id=tracker.sender_id,
                proven_phone=proven_phone if wants_answer else None,
                telegram_chat=telegram_chat if wants_answer else None,
                language=language(tracker),
            )
        except RegisterUnavailable:
            return events + apologise(dispatcher)
        logger.info("Complaint %s", "attached" if submitted.merged else "written")
        response = (
            "utter_complaint_registered_reply"
            if wants_answer
            else "utter_complaint_registered_anonymous"
        )
        dispatcher.utter_message(
            response=response,
            reference=submitted.reference,
            due_date=oslo_date(submitted.due_at),
        )
        return events
