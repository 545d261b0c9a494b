"""The Redis lock store serialises one conversation's turns across processes (instances).

Each worker process plays a Rasa instance: it takes the conversation lock and, inside it,
does a read-sleep-write of a counter in Redis (as a turn reads and saves a tracker). If two
holders ever overlapped, increments would be lost and the final count would fall short.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import uuid

import pytest

from tests.conftest import service_up
from tests.support.missing import missing

pytestmark = [pytest.mark.redis]

REDIS = ("127.0.0.1", 6379)
URL = "redis://127.0.0.1:6379/7"
PROCESSES, TURNS_PER_PROCESS = 4, 15


def _worker(conversation: str, counter_key: str, turns: int) -> None:
    import os

    os.environ["KLBOT_LOCK_STORE_URL"] = URL
    import redis

    from bot.stores.lock import ConfiguredLockStore

    store = ConfiguredLockStore()
    red = redis.Redis.from_url(URL)

    async def turn() -> None:
        async with store.lock(conversation):
            value = int(red.get(counter_key) or 0)
            await asyncio.sleep(0.002)  # the turn's work, while other turns wait
            red.set(counter_key, value + 1)

    async def main() -> None:
        await asyncio.gather(*(turn() for _ in range(turns)))

    asyncio.run(main())


@pytest.fixture
def redis_client():
    if not service_up(*REDIS):
        missing("Redis is not running on 127.0.0.1:6379 (CI has it)")
    import redis

    return redis.Redis.from_url(URL)


@pytest.mark.slow  # spawns fresh interpreters that import Rasa
def test_turns_of_one_conversation_never_overlap_across_processes(redis_client):
    conversation = f"lock-test-{uuid.uuid4().hex}"
    counter_key = f"klbot-test-counter:{conversation}"
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_worker, args=(conversation, counter_key, TURNS_PER_PROCESS))
        for _ in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    for w in workers:
        if w.is_alive():  # a worker stuck waiting for a lock that is never released
            w.terminate()
    try:
        assert all(w.exitcode == 0 for w in workers), [w.exitcode for w in workers]
        assert int(redis_client.get(counter_key)) == PROCESSES * TURNS_PER_PROCESS
        assert not redis_client.keys(f"*serial:{conversation}"), "the lock was not released"
    finally:
        redis_client.delete(counter_key)


def test_the_configured_store_is_the_serialising_one(monkeypatch):
    monkeypatch.setenv("KLBOT_LOCK_STORE_URL", URL)
    from bot.stores.lock import ConfiguredLockStore, SerialRedisLockStore

    if not service_up(*REDIS):
        missing("Redis is not running on 127.0.0.1:6379 (CI has it)")
    assert isinstance(ConfiguredLockStore(), SerialRedisLockStore)
