"""What the actions share: register access off the event loop, the forms' common rule, the
trusted channel proof, reading values from the latest message, and the words customers read.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from abc import abstractmethod
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, TypeVar

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from zoneinfo import ZoneInfo

from bot.notify import start_worker, wake_worker
from bot.register.contacts import classify_contact, normalize_phone
from bot.register.wording import KIND_TEXT, KIND_TEXT_EN

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Channels whose metadata proves possession of a phone number (see docs/ARCHITECTURE.md).
TRUSTED_CHANNELS = {"twilio_sms", "telegram"}

# The intent groups and how sure the NLU must be: actions/turns.py (one place).
from actions.turns import (  # noqa: E402,F401
    FREE_TEXT_SLOTS,
    INTERRUPTING_INTENTS,
    Reading,
    cancels,
    read,
)

# Slots one request uses; all are cleared when it ends or is cancelled. (``challenge_id`` is
# kept for the session: the register allows one new code a minute per conversation and then
# returns the same challenge, which is how a second request too soon is recognised.)
REQUEST_SLOTS = [
    "request_kind",
    "identifier",
    "customer_number",
    "otp_code",
    "verification",
    "otp_state",
    "otp_attempts_left",
    "verified",
    "verification_method",
    "correction_field",
    "correction_value",
    "correction_confirmed",
    "request_details",
    "marketing_channel",
    "contact_point",
    "contact_kind",
    "complaint_text",
    "complaint_contact",
    "complaint_declined",
    "complaint_no_reply",
    "register_error",
    "requested_slot",
]

CHANNEL_TEXT = {
    "nb": {"sms": "SMS", "email": "e-post", "post": "brev"},
    "en": {"sms": "SMS", "email": "e-mail", "post": "letter"},
}
CHANNEL_ORDER = ["sms", "email", "post"]

_EMAIL_IN_TEXT = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}")
_PHONE_IN_TEXT = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d \-.]{6,15}\d(?!\w)")
# Words that make «nei ...» an answer about the code («nei, fikk ingen kode»), not a stop.
CODE_WORDS = re.compile(r"kode|\b(fikk|fekk|får|fått|fatt|mottatt|kom)\b", re.IGNORECASE)


class RegisterUnavailable(Exception):
    """The register could not be reached or failed; the customer gets an apology."""


async def register_call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one register use case (``bot.register``: it owns its transaction) in a worker
    thread (SQL blocks). It must return plain values: ORM objects are detached once its
    session closes.

    Any failure becomes ``RegisterUnavailable`` (logged by type only: no personal data).
    """
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(None, functools.partial(function, *args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - whatever fails, the customer gets an answer
        logger.error("Register call failed: %s", type(exc).__name__)
        raise RegisterUnavailable(type(exc).__name__) from exc


def outbox_queued() -> None:
    """Something was queued in the outbox: let this process's delivery worker send it now
    (never on the reply path; the worker is a background thread)."""
    try:
        start_worker()
        wake_worker()
    except Exception as exc:  # noqa: BLE001 - delivery is retried by any worker later
        logger.warning("Outbox worker not woken (%s)", type(exc).__name__)


def apologise(dispatcher: CollectingDispatcher) -> List[EventType]:
    dispatcher.utter_message(response="utter_register_down")
    return [SlotSet("register_error", True)]


# --- the forms ---------------------------------------------------------------------------


class RequestFormValidationAction(FormValidationAction):
    """What every form of this assistant does: once the register has failed (the customer
    has had the apology, ``register_error``), it asks nothing more. A form says which slots
    it asks for in ``slots_to_ask``; its ``extract_<slot>`` and ``validate_<slot>`` methods
    are Rasa's.

    A form whose ``extract_<slot>`` records a decision in a state slot of its own (the
    complaint form's «no answer wanted») names it in ``state_slots``: rasa_sdk returns only
    the slots it still asks for, so without this the decision would be dropped, Rasa's
    FormAction would see nothing filled and reject the turn, and a rule outside the form
    would answer the «nei» before the form took it."""

    state_slots: Tuple[str, ...] = ()

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        returned = {event["name"] for event in events}
        decided = tracker.slots_to_validate()
        return events + [
            SlotSet(slot, decided[slot])
            for slot in self.state_slots
            if slot in decided and slot not in returned
        ]

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        if tracker.get_slot("register_error"):
            return []
        return self.slots_to_ask(tracker)

    @abstractmethod
    def slots_to_ask(self, tracker: Tracker) -> List[str]:
        """The slots this form asks for now, in order."""


def folded_text(value: Any) -> Optional[str]:
    """Free text as a form keeps it (white space folded), or None when it is too short to
    mean anything or has no letter."""
    text = " ".join(str(value).split())
    return text if len(text) >= 3 and re.search(r"[^\W\d_]", text) else None


# --- the latest message -----------------------------------------------------------------


def latest_user_event(tracker: Tracker) -> Dict[str, Any]:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event
    return {}


def latest_text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text") or ""
    return text.strip()


def latest_intent(tracker: Tracker) -> Tuple[Optional[str], float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def entity_values(tracker: Tracker, entity: str) -> List[str]:
    values = []
    for item in tracker.latest_message.get("entities") or []:
        if item.get("entity") == entity and item.get("value") not in (None, ""):
            values.append(str(item["value"]))
    return values


def is_interruption(tracker: Tracker, *, free_text: bool = False) -> bool:
    """Is the latest message something other than an answer to the form's question?
    (actions.turns.read decides.)"""
    form = (tracker.active_loop or {}).get("name")
    kind = tracker.get_slot("request_kind")
    reading = read(tracker.latest_message, free_text=free_text, form=form, kind=kind)
    return reading is not Reading.ANSWER


def wants_to_stop(tracker: Tracker, intents: Tuple[str, ...] = ("cancel", "deny")) -> bool:
    """Is the latest message a plain «nei, glem det» (read as one of ``intents``), with no
    contact point and no word about a code in it? Then it stops the form, like «avbryt»."""
    intent, _ = latest_intent(tracker)
    text = latest_text(tracker)
    if intent not in intents and not cancels(text):  # «hmm, nei forresten, jeg lar det være»
        return False
    return not CODE_WORDS.search(text) and contact_in_message(tracker) is None


def resumed_after_digression(tracker: Tracker) -> bool:
    """Has something other than the form answered since the customer's latest message (a
    policy question, help)? Then the form is coming back to its question, not asking anew."""
    form = (tracker.active_loop or {}).get("name")
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") not in (
            None,
            form,
            "action_listen",
        ):
            return True
    return False


def trusted_phone(tracker: Tracker) -> Optional[str]:
    """The phone number the channel itself proved (SMS sender, Telegram contact), E.164.

    Trusted only when the latest message came in through such a channel: a REST caller can
    put anything in its metadata (the REST channel drops it too).
    """
    channel = tracker.get_latest_input_channel()
    if channel not in TRUSTED_CHANNELS:
        return None
    metadata = latest_user_event(tracker).get("metadata") or {}
    raw = metadata.get("verified_phone")
    if not isinstance(raw, str) or not raw:
        return None
    return normalize_phone(raw)


def telegram_chat_id(tracker: Tracker) -> Optional[str]:
    """The Telegram chat the latest message came from (the connector puts it in the
    metadata), where a closing notice goes; None on other channels."""
    if tracker.get_latest_input_channel() != "telegram":
        return None
    chat = (latest_user_event(tracker).get("metadata") or {}).get("chat_id")
    return str(chat) if isinstance(chat, (int, str)) and str(chat).lstrip("-").isdigit() else None


def input_channel(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def contact_in_message(tracker: Tracker) -> Optional[Tuple[str, str]]:
    """The first e-mail address or Norwegian phone number in the latest message, normalised:
    ``("email"|"sms", value)``. Entities first, then a scan of the text (any format)."""
    candidates = entity_values(tracker, "email") + entity_values(tracker, "phone_number")
    text = latest_text(tracker)
    candidates += _EMAIL_IN_TEXT.findall(text) + _PHONE_IN_TEXT.findall(text) + [text]
    for candidate in candidates:
        found = classify_contact(candidate)
        if found:
            return found
    return None


# --- words for the customer ---------------------------------------------------------------


def oslo_date(moment: Optional[datetime]) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        moment = moment.astimezone(ZoneInfo("Europe/Oslo"))
    except Exception:  # noqa: BLE001 - no time zone data: the UTC date is one day off at most
        logger.debug("No tz data for Europe/Oslo; showing the UTC date")
    return moment.strftime("%d.%m.%Y")


def language(tracker: Tracker) -> str:
    """The customer's language (the ``language`` slot, set from each message): ``en`` or
    ``nb``, the default. Text built here follows it, as the responses' variations do."""
    return "en" if tracker.get_slot("language") == "en" else "nb"


def channels_text(channels: List[str], lang: str = "nb") -> str:
    words = CHANNEL_TEXT.get(lang, CHANNEL_TEXT["nb"])
    names = [words[c] for c in CHANNEL_ORDER if c in channels]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + (" and " if lang == "en" else " og ") + names[-1]


def kind_text(kind: str, lang: str = "nb") -> str:
    """A request kind in the customer's words ("sletting", "erasure")."""
    words = KIND_TEXT_EN if lang == "en" else KIND_TEXT
    return words.get(kind, kind)


def reset_events(tracker: Tracker, names: Iterable[str] = REQUEST_SLOTS) -> List[EventType]:
    """Clear the request's slots, or ``names`` (only those set: a form reads every slot set
    since the user's message as a candidate value)."""
    return [SlotSet(name, None) for name in names if tracker.get_slot(name) is not None]
