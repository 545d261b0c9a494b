"""The rule search with its first filter remembered (bot.rasa_speedups) finds exactly the
keys Rasa's own search finds, on this assistant's rules and every conversation test story,
also when the remembered filter is used (each story replayed twice)."""

from __future__ import annotations

import pytest
from rasa.core.policies.rule_policy import RulePolicy

from bot import rasa_speedups
from tests.test_conversations import dialogue, replay, stories  # noqa: F401 - fixtures

rasa_speedups.install()
RASAS = rasa_speedups.rasa_get_possible_keys


@pytest.fixture
def checked_search(monkeypatch):
    """Every search answered by ours, and compared with Rasa's on the same input."""
    calls = {"searches": 0, "remembered": 0}

    def both(self, lookup, states):
        cache = self.__dict__.get("_klbot_current_state_keys", {})
        before = len(cache)
        ours = rasa_speedups._get_possible_keys(self, lookup, states)
        assert ours == RASAS(self, lookup, states)
        calls["searches"] += 1
        calls["remembered"] += len(cache) == before and bool(states)
        return ours

    monkeypatch.setattr(RulePolicy, "_get_possible_keys", both)
    return calls


def test_rasas_search_is_kept_for_comparison():
    assert RASAS is not None and RASAS is not rasa_speedups._get_possible_keys


def test_every_story_finds_the_keys_rasa_finds(dialogue, stories, checked_search):  # noqa: F811
    domain, policy = dialogue
    for _ in range(2):
        for story in stories.values():
            replay(domain, policy, story)
    assert checked_search["searches"] > 100
    assert checked_search["remembered"] > checked_search["searches"] / 2


def test_a_changed_lookup_is_not_answered_from_the_cache(dialogue):  # noqa: F811
    """Rasa removes rules from its lookup in place while training: the cache must see it."""
    domain, policy = dialogue
    state = [{"user": {"intent": "greet"}, "prev_action": {"action_name": "action_listen"}}]
    lookup = dict(policy.lookup["rules"])
    found = rasa_speedups._get_possible_keys(policy, lookup, state)
    assert found
    removed = next(iter(found))
    lookup.pop(removed)
    assert removed not in rasa_speedups._get_possible_keys(policy, lookup, state)
