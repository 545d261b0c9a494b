"""Conversations are kept only as long as policy allows, and go with an erased customer."""

from __future__ import annotations

import time

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.conversations import erase_conversations, phone_patterns, purge_old_conversations
from bot.stores.tracker import ConfiguredTrackerStore

DAY = 86400.0


async def save(store, sender: str, text: str, at: float) -> None:
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, slots=[])
    tracker.update(ActionExecuted("action_listen", timestamp=at))
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 1.0}, timestamp=at))
    await store.save(tracker)


@pytest.fixture
def store(tracker_store_url, monkeypatch):
    monkeypatch.setenv("KLBOT_TRACKER_STORE_URL", tracker_store_url)
    store = ConfiguredTrackerStore(domain=Domain.empty())
    yield store
    store.engine.dispose()


async def senders(store) -> set:
    return set(await store.keys())


async def test_purge_deletes_only_conversations_older_than_retention(store, tracker_store_url):
    now = time.time()
    await save(store, "old", "hei", now - 100 * DAY)
    await save(store, "recent", "hei", now - 10 * DAY)
    result = purge_old_conversations(90, url=tracker_store_url, now=now)
    assert result.conversations == 1
    assert await senders(store) == {"recent"}


async def test_purge_dry_run_counts_and_deletes_nothing(store, tracker_store_url):
    now = time.time()
    await save(store, "old", "hei", now - 100 * DAY)
    result = purge_old_conversations(90, url=tracker_store_url, now=now, dry_run=True)
    assert result.conversations == 1 and result.events > 0
    assert await senders(store) == {"old"}


async def test_a_conversation_still_in_use_is_kept_whole(store, tracker_store_url):
    now = time.time()
    await save(store, "long", "hei", now - 200 * DAY)
    await save(store, "long", "fortsatt her", now - 1 * DAY)
    purge_old_conversations(90, url=tracker_store_url, now=now)
    tracker = await store.retrieve("long")
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == [
        "hei",
        "fortsatt her",
    ]


async def test_erasure_deletes_conversations_that_mention_the_customer(store, tracker_store_url):
    now = time.time()
    await save(store, "a", "eposten min er ola.nordmann@example.no", now)
    await save(store, "b", "nummeret er 412 34 567", now)
    await save(store, "c", "hvor lenge lagrer dere data?", now)
    await save(store, "d", "hei", now)
    result = erase_conversations(
        sender_ids=["d"],
        mentioning=["ola.nordmann@example.no", *phone_patterns("+4741234567")],
        url=tracker_store_url,
    )
    assert result.conversations == 3
    assert await senders(store) == {"c"}


def test_phone_patterns_cover_common_spellings():
    patterns = phone_patterns("+4797527747")
    assert {"+4797527747", "97527747", "975 27 747", "97 52 77 47"} <= set(patterns)


async def test_erasure_matches_exactly_and_escapes_wildcards(store, tracker_store_url):
    """``_`` and ``%`` in an address match only themselves; a longer address that contains
    the erased one is someone else; case does not matter for e-mail (PostgreSQL too)."""
    now = time.time()
    await save(store, "exact", "min e-post er Kari_Lie@Example.NO", now)
    await save(store, "wildcard", "min e-post er karixlie@example.no", now)
    await save(store, "longer", "skriv til ekari_lie@example.no", now)
    await save(store, "domain", "skriv til kari_lie@example.no.evil.com", now)
    await save(store, "percent", "eposten er a%b@example.no", now)
    await save(store, "phone", "ring 412-34-567", now)
    await save(store, "other-phone", "ring 412 34 5670", now)
    result = erase_conversations(
        emails=["kari_lie@example.no", "a%b@example.no"],
        phones=["+4741234567"],
        url=tracker_store_url,
    )
    assert await senders(store) == {"wildcard", "longer", "domain", "other-phone"}
    assert result.conversations == 3


async def test_a_bare_wildcard_erases_nothing(store, tracker_store_url):
    now = time.time()
    await save(store, "a", "hei _ % der", now)
    await save(store, "b", "eposten er ola@example.no", now)
    result = erase_conversations(mentioning=["%", "_", "%@%.no", "%%%%%%"], url=tracker_store_url)
    assert result.conversations == 0
    assert await senders(store) == {"a", "b"}
