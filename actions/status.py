"""request_status: after the same identity check as a rights request, where the person
stands: each ticket's kind, state in plain Norwegian, due date and days left, an extension
and its reason, a rejection and its category (``bot.register.wording.status_lines``; one
message of at most 320 characters per ticket). No personal data."""

from __future__ import annotations

import logging
from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    RegisterUnavailable,
    apologise,
    input_channel,
    language,
    register_call,
)
from bot.register import identity
from bot.register.wording import status_lines

logger = logging.getLogger(__name__)


async def report_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    try:
        # the register decides whether this conversation verified the person: not a slot
        decided = tracker.get_slot("verification")  # how the form's check ended
        rows = await register_call(
            identity.tickets_if_verified,
            tracker.sender_id,
            tracker.get_slot("identifier"),
            challenge_id=tracker.get_slot("challenge_id") if decided == "ok" else None,
            channel=input_channel(tracker) if decided == "channel" else None,
        )
    except RegisterUnavailable:
        return apologise(dispatcher)
    if rows is None:
        # unknown, the check failed, or a slot the register does not back: one answer
        dispatcher.utter_message(response="utter_status_unverified")
        return []
    if not rows:
        dispatcher.utter_message(response="utter_status_none")
        return []
    logger.info("Status of %d request(s) shown", len(rows))
    dispatcher.utter_message(response="utter_status_header")
    for line in status_lines(rows, language=language(tracker)):
        dispatcher.utter_message(text=line)
    return []
