"""Two intent classifiers that err differently, averaged: DIET and a logistic regression.

``LinearIntentClassifier`` is Rasa's ``LogisticRegressionClassifier`` (on the same sparse
word and character n-gram features) that keeps its full ranking aside in the message, and
leaves the training data alone (the stock component writes its predictions over the training
labels, which would mislead DIET after it). ``IntentEnsemble``, placed after DIET, averages the
two probability distributions and sets ``intent`` and ``intent_ranking``; the
FallbackClassifier after it then sees confidences that drop where the two disagree.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

LINEAR_RANKING = "linear_intent_ranking"
RANKING_LENGTH = 10


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LogisticRegressionClassifier):
    """Logistic regression whose ranking ``IntentEnsemble`` combines with DIET's."""

    def process(self, messages: List[Message]) -> List[Message]:
        super().process(messages)
        for message in messages:
            message.set(LINEAR_RANKING, message.get("intent_ranking"), add_to_output=False)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentEnsemble(GraphComponent, IntentClassifier):
    """Weighted mean of DIET's and the linear classifier's intent probabilities."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"diet_weight": 0.5}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.weight = float({**self.get_default_config(), **config}["diet_weight"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentEnsemble:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            linear = {r["name"]: r["confidence"] for r in message.get(LINEAR_RANKING) or []}
            diet = {r["name"]: r["confidence"] for r in message.get("intent_ranking") or []}
            if not linear or not diet:
                continue
            names = set(linear) | set(diet)
            ranking = sorted(
                (
                    {
                        "name": name,
                        "confidence": self.weight * diet.get(name, 0.0)
                        + (1 - self.weight) * linear.get(name, 0.0),
                    }
                    for name in names
                ),
                key=lambda r: -r["confidence"],
            )
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[:RANKING_LENGTH], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
