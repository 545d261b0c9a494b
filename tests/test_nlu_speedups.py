"""The sparse-feature and event-class caches (bot.rasa_speedups) give Rasa's answers; the
Rasa server runs the classifiers on one thread."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.shared.core.events import Event
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.common import all_subclasses

from bot import rasa_speedups

rasa_speedups.install()


def sparse(rows: int, cols: int, seed: int) -> scipy.sparse.coo_matrix:
    rng = np.random.default_rng(seed)
    return scipy.sparse.coo_matrix(rng.integers(0, 2, size=(rows, cols)).astype(float))


def message() -> Message:
    msg = Message(data={"text": "hei du"})
    for seed, origin in enumerate(["cv_words", "cv_chars"]):
        msg.add_features(Features(sparse(2, 3 + seed, seed), "sequence", "text", origin))
        msg.add_features(Features(sparse(1, 3 + seed, seed + 10), "sentence", "text", origin))
    return msg


def same(ours, rasas) -> bool:
    if ours is None or rasas is None:
        return ours is rasas
    return (
        (ours.features != rasas.features).nnz == 0
        and ours.type == rasas.type
        and ours.attribute == rasas.attribute
        and ours.origin == rasas.origin
    )


@pytest.mark.parametrize("featurizers", [None, [], ["cv_words"], ["cv_chars", "cv_words"]])
def test_sparse_features_are_rasas_each_time_and_each_a_copy(featurizers):
    msg = message()
    rasas = rasa_speedups.rasa_get_sparse_features(msg, "text", featurizers)
    first = msg.get_sparse_features("text", featurizers)
    second = msg.get_sparse_features("text", featurizers)
    for ours in (first, second):
        assert all(same(o, r) for o, r in zip(ours, rasas))
    assert first[0] is not second[0] and first[0].features is not second[0].features
    assert msg.get_sparse_features("intent", featurizers) == (None, None)


def test_a_feature_added_later_is_in_the_combination():
    msg = message()
    before = msg.get_sparse_features("text")
    msg.add_features(Features(sparse(2, 5, 7), "sequence", "text", "regex"))
    after = msg.get_sparse_features("text")
    assert after[0].features.shape[1] == before[0].features.shape[1] + 5
    assert same(after[0], rasa_speedups.rasa_get_sparse_features(msg, "text", None)[0])


def test_every_event_type_resolves_to_rasas_class():
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) > 20
    for _ in range(2):  # found, then remembered
        for name in names:
            assert Event.resolve_by_type(name) is rasa_speedups.rasa_resolve_by_type(name)


def test_unknown_event_types_are_rasas_answer():
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    assert Event.resolve_by_type("topic") is None


class Selector:
    """Stands for a ResponseSelector: the method reads only ``responses``."""

    def __init__(self, responses):
        self.responses = responses


def test_every_response_key_resolves_as_rasa_resolves_it():
    """The table gives Rasa's walk's answer for every key, every variation's text (even one
    shared by two keys: the first key wins, as in Rasa) and names nobody knows."""
    from rasa.nlu.selectors.response_selector import ResponseSelector

    from tests.support.domain import domain

    responses = {k: v for k, v in domain().responses.items() if "/" in k}
    assert len(responses) > 40
    first, second = sorted(responses)[:2]
    responses[second] = responses[second] + [dict(responses[first][0])]  # shared text
    names = {None, "", "nobody/knows", "utter_" + first}
    for key, variations in responses.items():
        names.add(key[len("utter_") :])
        names.update(v.get("text") for v in variations)
    selector = Selector(responses)
    assert ResponseSelector._resolve_intent_response_key is (
        rasa_speedups._resolve_intent_response_key
    )
    for _ in range(2):  # built, then kept
        for name in names:
            label = {"name": name, "confidence": 0.5}
            assert ResponseSelector._resolve_intent_response_key(
                selector, label
            ) == rasa_speedups.rasa_resolve_intent_response_key(selector, label), name


def test_new_responses_are_resolved_from_a_new_table():
    from rasa.nlu.selectors.response_selector import ResponseSelector

    selector = Selector({"utter_ask_a/b": [{"text": "A"}]})
    assert ResponseSelector._resolve_intent_response_key(selector, {"name": "A"}) == "ask_a/b"
    selector.responses = {"utter_ask_c/d": [{"text": "A"}]}
    assert ResponseSelector._resolve_intent_response_key(selector, {"name": "A"}) == "ask_c/d"
