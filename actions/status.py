"""request_status: after the same identity check as a rights request, the status and due
date of the person's open requests. No personal data: kind, reference, status, date."""

from __future__ import annotations

import logging
from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    KIND_TEXT,
    STATUS_TEXT,
    RegisterUnavailable,
    apologise,
    oslo_date,
    register_call,
)
from bot.register import identity

logger = logging.getLogger(__name__)


async def report_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    try:
        # the register decides whether this conversation verified the person: not a slot
        rows = await register_call(
            identity.open_requests_if_verified, tracker.sender_id, tracker.get_slot("identifier")
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
    lines = "; ".join(
        f"{KIND_TEXT.get(kind, kind)} ({reference}): {STATUS_TEXT.get(status, status)}, "
        f"frist {oslo_date(due_at)}"
        for kind, reference, status, due_at in sorted(rows, key=lambda row: str(row[3]))
    )
    logger.info("Status of %d open request(s) shown", len(rows))
    dispatcher.utter_message(response="utter_status_open", lines=lines + ".")
    return []
