"""Human handoff: the contact details of a person at KL Miljøvarme. Nothing is recorded."""

from __future__ import annotations

import logging
from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import input_channel

logger = logging.getLogger(__name__)


class ActionHumanHandoff(Action):
    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_human_handoff")
        if tracker.active_loop.get("name"):
            dispatcher.utter_message(response="utter_handoff_in_form")
        logger.info("Human handoff offered (via %s)", input_channel(tracker))
        return []
