"""Whole conversations in seconds, with nothing replaced but the NLU.

``Dialogue`` runs a conversation the way Rasa's ``MessageProcessor`` does: the user's message
(given as the NLU output: text, intent, confidence, entities), ``action_extract_slots``, then
actions predicted by a RulePolicy trained in-process from domain.yml and data/rules/ until
``action_listen``. The forms are Rasa's own ``FormAction``: it calls ``validate_<form>`` and
is rejected, so that a digression rule can answer, only when that REAL validation
(actions/*.py) sets nothing. Custom actions run in this process through rasa_sdk's
``ActionExecutor`` (the action server's own dispatcher) against a real SQLite register, and
every response is rendered by Rasa's templated NLG with its variations (English too).

So a form that swallows a digression, a «nei» stored as a complaint or a code refused after a
question fails here, in the fast layer, exactly as it would in the running assistant.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np
from rasa.core.actions.action import ActionExecutionRejection, action_for_name_or_text
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_EXTRACT_SLOTS, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, BotUttered, UserUttered
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph, StoryStep
from rasa.utils.endpoints import EndpointConfig

from tests.support.domain import domain as full_domain
from tests.support.servers import ROOT

MAX_ACTIONS = 12  # Rasa's own circuit breaker is 10 actions per message


class InProcessActions(EndpointConfig):
    """The action endpoint, served by rasa_sdk's executor in this process (no HTTP)."""

    def __init__(self) -> None:
        super().__init__(url="http://in-process/webhook")
        from rasa_sdk.executor import ActionExecutor

        self.executor = ActionExecutor()
        self.executor.register_package("actions")

    async def request(self, method: str = "post", subpath=None, content_type=None, **kwargs):
        from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection

        try:
            return await self.executor.run(kwargs["json"])
        except SdkRejection as rejected:  # the action server answers 400: Rasa rejects
            raise ActionExecutionRejection(rejected.action_name, rejected.message) from None


def train_rules(tmp_dir) -> tuple:
    """(domain, RulePolicy) trained from domain.yml and data/rules/ as `rasa train` does."""
    import yaml

    logging.getLogger("rasa").setLevel(logging.WARNING)
    domain = full_domain()
    steps: List[StoryStep] = []
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        steps += YAMLStoryReader(domain).read_from_file(str(path))
    trackers = TrainingDataGenerator(
        StoryGraph(steps), domain, augmentation_factor=0, remove_duplicates=True
    ).generate()
    config_yml = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    ours = next(p for p in config_yml["policies"] if p["name"] == "RulePolicy")
    config = {
        **RulePolicy.get_default_config(),
        **{k: v for k, v in ours.items() if k != "name"},
        "check_for_contradictions": False,
    }
    storage = LocalModelStorage(tmp_dir)
    context = ExecutionContext(GraphSchema({}), "dialogue-harness")
    policy = RulePolicy.create(config, storage, Resource("rules"), context)
    policy.train(trackers, domain)
    return domain, policy


@dataclass
class Turn:
    texts: List[str]
    actions: List[str]

    @property
    def text(self) -> str:
        return " ".join(self.texts)


@dataclass
class Dialogue:
    domain: Domain
    policy: RulePolicy
    endpoint: InProcessActions
    sender: str = "dialogue-test"
    channel: str = "rest"
    metadata: Dict[str, Any] = field(default_factory=dict)
    tracker: DialogueStateTracker = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.tracker = DialogueStateTracker(self.sender, self.domain.slots)
        self.tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        self.nlg = TemplatedNaturalLanguageGenerator(self.domain.responses)

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    @property
    def form(self) -> Optional[str]:
        return self.tracker.active_loop_name

    def say(
        self,
        text: str,
        intent: str,
        confidence: float = 0.9,
        entities: Optional[List[Dict[str, Any]]] = None,
        **parse: Any,
    ) -> Turn:
        """One message, as the NLU read it; the bot's texts and actions for it."""
        return asyncio.run(self._say(text, intent, confidence, entities or [], parse))

    async def _say(self, text, intent, confidence, entities, parse) -> Turn:
        # the pipeline's own language detector (bot/nlp/extractors.py) sets the language
        from bot.nlp.extractors import detect_language

        language = parse.pop("language", None) or detect_language(text)
        if language:
            entities = entities + [{"entity": "language", "value": language}]
        parse_data = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities,
            "intent_ranking": [{"name": intent, "confidence": confidence}],
            **parse,
        }
        start = len(self.tracker.events)
        self.tracker.update(
            UserUttered(
                text,
                intent=parse_data["intent"],
                entities=entities,
                parse_data=parse_data,
                input_channel=self.channel,
                metadata=self.metadata,
            ),
            self.domain,
        )
        channel = CollectingOutputChannel()
        extract = action_for_name_or_text(ACTION_EXTRACT_SLOTS, self.domain, self.endpoint)
        events = await extract.run(channel, self.nlg, self.tracker, self.domain)
        self.tracker.update_with_events(events, self.domain)
        actions: List[str] = []
        for _ in range(MAX_ACTIONS):
            prediction = self.policy.predict_action_probabilities(self.tracker, self.domain)
            name = self.domain.action_names_or_texts[int(np.argmax(prediction.probabilities))]
            action = action_for_name_or_text(name, self.domain, self.endpoint)
            try:
                events = await action.run(channel, self.nlg, self.tracker.copy(), self.domain)
            except ActionExecutionRejection:
                self.tracker.update(ActionExecutionRejected(name))
                actions.append(f"{name}:rejected")
                continue
            self.tracker.update(ActionExecuted(name))
            self.tracker.update_with_events(events or [], self.domain)
            actions.append(name)
            if name == ACTION_LISTEN_NAME:
                break
        else:
            raise AssertionError(f"more than {MAX_ACTIONS} actions for one message: {actions}")
        new = list(self.tracker.events)[start:]
        said = [e.text for e in new if isinstance(e, BotUttered) and e.text]
        return Turn(said, actions)
