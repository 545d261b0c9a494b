"""request_status: after the same identity check as a rights request, where the person
stands: each ticket's kind, state in plain Norwegian, due date and days left, an extension
and its reason, a rejection and its category (``bot.register.wording.status_lines``; one
message of at most 320 characters per ticket). No personal data."""

from __future__ import annotations

import logging
from typing import Any, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    RegisterUnavailable,
    apologise,
    in_register,
    lookup_customer,
)
from bot.register.wording import TicketView, status_lines

logger = logging.getLogger(__name__)


async def report_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    if not tracker.get_slot("verified"):
        # unknown, or the check failed: the same answer either way
        dispatcher.utter_message(response="utter_status_unverified")
        return []
    identifier = tracker.get_slot("identifier")

    def work(session: Any) -> Optional[List[TicketView]]:
        from bot.register.requests import customer_tickets

        customer = lookup_customer(session, identifier)
        if customer is None:
            return None
        return customer_tickets(session, customer.id)

    try:
        rows = await in_register(work)
    except RegisterUnavailable:
        return apologise(dispatcher)
    if not rows:
        dispatcher.utter_message(response="utter_status_none")
        return []
    logger.info("Status of %d request(s) shown", len(rows))
    dispatcher.utter_message(response="utter_status_header")
    for line in status_lines(rows):
        dispatcher.utter_message(text=line)
    return []
