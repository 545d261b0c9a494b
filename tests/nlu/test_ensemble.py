"""IntentEnsemble averages DIET's and the linear classifier's probabilities."""

from __future__ import annotations

import pytest

from bot.nlp.ensemble import LINEAR_RANKING, IntentEnsemble, LinearIntentClassifier


def message(diet: dict, linear: dict):
    from rasa.shared.nlu.training_data.message import Message

    m = Message(data={"text": "x"})
    m.set("intent_ranking", [{"name": k, "confidence": v} for k, v in diet.items()])
    m.set(LINEAR_RANKING, [{"name": k, "confidence": v} for k, v in linear.items()])
    return m


def test_a_confident_confusion_is_tempered_by_the_other_classifier():
    m = message(
        diet={"request_erasure": 0.97, "request_status": 0.03},
        linear={"request_status": 0.70, "request_erasure": 0.20, "request_access": 0.10},
    )
    IntentEnsemble({}).process([m])
    ranking = m.get("intent_ranking")
    assert m.get("intent")["name"] == "request_erasure"
    assert m.get("intent")["confidence"] == pytest.approx(0.585)
    assert ranking[1] == {"name": "request_status", "confidence": pytest.approx(0.365)}
    # the margin between the two is what the FallbackClassifier's ambiguity threshold sees
    assert ranking[0]["confidence"] - ranking[1]["confidence"] < 0.97 - 0.03


def test_agreement_keeps_the_answer_and_its_confidence():
    m = message(diet={"greet": 0.9, "thank": 0.1}, linear={"greet": 0.8, "goodbye": 0.2})
    IntentEnsemble({}).process([m])
    assert m.get("intent") == {"name": "greet", "confidence": pytest.approx(0.85)}
    assert sum(r["confidence"] for r in m.get("intent_ranking")) == pytest.approx(1.0)


def test_the_weight_decides_between_two_disagreeing_classifiers():
    diet, linear = {"a": 0.9, "b": 0.1}, {"a": 0.2, "b": 0.8}
    m = message(diet, linear)
    IntentEnsemble({"diet_weight": 0.25}).process([m])
    assert m.get("intent")["name"] == "b"
    m = message(diet, linear)
    IntentEnsemble({"diet_weight": 0.75}).process([m])
    assert m.get("intent")["name"] == "a"


def test_a_message_without_both_rankings_is_left_alone():
    from rasa.shared.nlu.training_data.message import Message

    m = Message(data={"text": "x", "intent": {"name": "greet", "confidence": 1.0}})
    IntentEnsemble({}).process([m])
    assert m.get("intent") == {"name": "greet", "confidence": 1.0}


def test_the_linear_classifier_leaves_the_training_labels_alone():
    """The stock LogisticRegressionClassifier writes its predictions over the training
    labels; DIET, trained after it, would learn from those."""
    sentinel = object()
    assert LinearIntentClassifier.process_training_data(None, sentinel) is sentinel
