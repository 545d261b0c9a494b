"""request_status: after the same identity check as a rights request, the status and due
date of the person's open requests. No personal data: kind, reference, status, date."""

from __future__ import annotations

import logging
from typing import Any, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    KIND_TEXT,
    STATUS_TEXT,
    RegisterUnavailable,
    apologise,
    in_register,
    lookup_customer,
    oslo_date,
)

logger = logging.getLogger(__name__)


async def report_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    if not tracker.get_slot("verified"):
        # unknown, or the check failed: the same answer either way
        dispatcher.utter_message(response="utter_status_unverified")
        return []
    identifier = tracker.get_slot("identifier")

    def work(session: Any) -> Optional[List[Tuple[str, str, str, Any]]]:
        from bot.register.requests import open_requests_for_customer

        customer = lookup_customer(session, identifier)
        if customer is None:
            return None
        return [
            (r.kind, r.reference, r.status, r.due_at)
            for r in open_requests_for_customer(session, customer.id)
        ]

    try:
        rows = await in_register(work)
    except RegisterUnavailable:
        return apologise(dispatcher)
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
