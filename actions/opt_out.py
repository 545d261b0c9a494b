"""Opt-out of direct marketing: no proof of identity, effective at once.

``opt_out_form`` asks which channel(s) when the message did not say, and for the contact
point unless the channel already proved it (the SMS sender's number). The reply is the same
whether or not the contact point belongs to a customer.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import (
    CHANNEL_ORDER,
    RegisterUnavailable,
    RequestFormValidationAction,
    apologise,
    channels_text,
    contact_in_message,
    entity_values,
    input_channel,
    is_interruption,
    language,
    latest_text,
    register_call,
    trusted_phone,
)
from bot.nlp.marketing_scope import channels_asked
from bot.register import suppressions
from bot.register.contacts import canonical_address, classify_contact

logger = logging.getLogger(__name__)

OPT_OUT_SLOTS = (None, "marketing_channel", "contact_point")


def channels_in_message(tracker: Tracker) -> List[str]:
    """The marketing channels the latest message asks to stop: the channels it names, or
    all three only for "alle"/"alt"/"all reklame" in the sense of every channel
    (bot.nlp.marketing_scope); [] when it does not say."""
    return channels_asked(latest_text(tracker), entity_values(tracker, "marketing_channel"))


def contact_kind_for(channels: List[str]) -> Optional[str]:
    """Which contact point to ask for: a phone for SMS only, e-mail for e-mail only."""
    if channels == ["sms"]:
        return "phone"
    if channels == ["email"]:
        return "email"
    if channels == ["post"]:
        return "post"
    return None


def fits(kind: str, channels: List[str]) -> bool:
    """Can a contact point of this kind ("sms"|"email") carry an opt-out of ``channels``?"""
    if channels == ["sms"]:
        return kind == "sms"
    if channels == ["email"]:
        return kind == "email"
    return True


def looks_like_postal_address(text: str) -> bool:
    return 5 <= len(text) <= 200 and bool(re.search(r"[^\W\d_]", text) and re.search(r"\d", text))


class ValidateOptOutForm(RequestFormValidationAction):
    def name(self) -> str:
        return "validate_opt_out_form"

    def slots_to_ask(self, tracker: Tracker) -> List[str]:
        return ["marketing_channel", "contact_point"]

    async def extract_marketing_channel(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        if requested not in OPT_OUT_SLOTS:
            return {}
        if requested == "contact_point" and tracker.get_slot("marketing_channel"):
            return {}  # "min e-post er ...": the contact point, not a narrower opt-out
        channels = channels_in_message(tracker)
        if channels:
            return {"marketing_channel": channels}
        if requested == "marketing_channel" and not is_interruption(tracker):
            if contact_in_message(tracker):
                return {}  # a contact point first: keep it, ask for the channel again
            return {"marketing_channel": []}  # not understood: say so and ask again
        return {}

    async def validate_marketing_channel(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value is None:
            return {"marketing_channel": None}  # cleared, not typed
        channels = [c for c in CHANNEL_ORDER if c in value]
        if not channels:
            dispatcher.utter_message(response="utter_opt_out_channel_unclear")
            return {"marketing_channel": None}
        result: Dict[str, Any] = {
            "marketing_channel": channels,
            "contact_kind": contact_kind_for(channels),
        }
        contact = tracker.get_slot("contact_point")
        phone = trusted_phone(tracker)
        if contact and not _contact_fits(contact, channels):
            result["contact_point"] = None
        elif not contact and phone and "sms" in channels:
            result["contact_point"] = phone  # the SMS sender's own number
        return result

    async def extract_contact_point(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        if requested not in OPT_OUT_SLOTS:
            return {}
        found = contact_in_message(tracker)
        if found:
            return {"contact_point": found[1]}
        if requested == "contact_point" and not is_interruption(tracker, free_text=True):
            return {"contact_point": latest_text(tracker)[:200]}
        return {}

    async def validate_contact_point(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value is None:
            return {"contact_point": None}  # cleared, not typed
        channels = tracker.get_slot("marketing_channel") or []
        text = " ".join(str(value or "").split())
        found = classify_contact(text)
        if found:
            kind, normalised = found
            if channels and not fits(kind, channels):
                need = "utter_need_phone" if channels == ["sms"] else "utter_need_email"
                dispatcher.utter_message(response=need)
                return {"contact_point": None}
            return {"contact_point": normalised}
        if "post" in channels and looks_like_postal_address(text):
            return {"contact_point": text}
        if channels == ["sms"]:
            dispatcher.utter_message(response="utter_invalid_phone")
        elif channels == ["email"]:
            dispatcher.utter_message(response="utter_invalid_email")
        else:
            dispatcher.utter_message(response="utter_invalid_contact_point")
        return {"contact_point": None}


def _contact_fits(contact: str, channels: List[str]) -> bool:
    found = classify_contact(contact)
    if found is None:
        return "post" in channels  # a postal address
    return fits(found[0], channels)


class ActionSubmitOptOut(Action):
    """Suppress at once, record the done opt-out request, confirm in one message."""

    def name(self) -> str:
        return "action_submit_opt_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("register_error"):
            return []
        channels = [c for c in CHANNEL_ORDER if c in (tracker.get_slot("marketing_channel") or [])]
        address = tracker.get_slot("contact_point")
        if not channels or not address:
            logger.warning("Opt-out submitted without channel or contact point; nothing done")
            dispatcher.utter_message(response="utter_register_down")
            return []
        source = input_channel(tracker)
        try:
            reference = await register_call(
                suppressions.submit_opt_out,
                channels=channels,
                address=address,
                source_channel=source,
                verified_phone=trusted_phone(tracker),
                language=language(tracker),
            )
        except RegisterUnavailable:
            return apologise(dispatcher)
        logger.info("Opt-out %s recorded (%s, via %s)", reference, ",".join(channels), source)
        response, direct, by_customer = confirmation(channels, address)
        dispatcher.utter_message(
            response=response,
            contact=address,
            channels=channels_text(direct, language(tracker)),
            customer_channels=channels_text(by_customer, language(tracker)),
            reference=reference,
        )
        return []


def confirmation(channels: List[str], address: str) -> Tuple[str, List[str], List[str]]:
    """Say exactly what was stopped, the same whether or not the contact point is a
    customer's: the channels this contact point is itself (an e-mail address for e-mail), and
    the channels stopped only for a customer registered with it (SMS and post for a
    customer's e-mail address). Returns (response, direct channels, customer channels)."""
    direct = [c for c in channels if canonical_address(c, address)]
    by_customer = [c for c in channels if c not in direct]
    if not by_customer:
        return "utter_opt_out_done", direct, by_customer
    if direct:
        return "utter_opt_out_done_partly", direct, by_customer
    return "utter_opt_out_done_customer", direct, by_customer
