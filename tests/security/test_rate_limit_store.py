"""The traffic limits' counters on the real Redis that several instances share."""

from __future__ import annotations

import uuid

import pytest

from bot.channels.rate_limit import TrafficLimiter, storage_url
from bot.config import Settings
from tests.conftest import service_up
from tests.support.missing import missing

pytestmark = [pytest.mark.redis]

REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture
def redis_url() -> str:
    if not service_up("127.0.0.1", 6379):
        missing("Redis is not running on 127.0.0.1:6379 (CI has it)")
    return REDIS_URL


async def test_two_instances_share_one_count_per_sender(redis_url):
    first, second = TrafficLimiter(redis_url), TrafficLimiter(redis_url)
    sender, address = uuid.uuid4().hex, f"192.0.2.{uuid.uuid4().int % 250}"
    results = [
        await (first if i % 2 else second).over_limit("rest", sender, address) for i in range(22)
    ]
    assert [bool(r) for r in results] == [False] * 20 + [True] * 2


async def test_per_address_counts_across_senders_and_channels(redis_url):
    limiter = TrafficLimiter(redis_url)
    address = f"2001:db8::{uuid.uuid4().hex[:4]}"
    results = [
        await limiter.over_limit(("rest", "socketio")[i % 2], uuid.uuid4().hex, address)
        for i in range(62)
    ]
    assert [bool(r) for r in results] == [False] * 60 + [True] * 2


async def test_off_means_off_and_a_dead_store_lets_messages_through():
    off = TrafficLimiter("memory://", on=False)
    assert not [i for i in range(30) if await off.over_limit("rest", "s", "a")]
    dead = TrafficLimiter("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert await dead.over_limit("rest", "s", "a") == 0


def test_the_store_is_redis_when_configured_else_memory():
    assert storage_url(Settings(rate_limit_storage_url=None, lock_store_url=None)) == "memory://"
    only_lock = Settings(rate_limit_storage_url=None, lock_store_url="redis://r:6379/1")
    assert storage_url(only_lock) == "redis://r:6379/1"
    assert (
        storage_url(Settings(rate_limit_storage_url="redis://x/2", lock_store_url="redis://r/1"))
        == "redis://x/2"
    )
    assert storage_url(Settings(rate_limit_storage_url="memory://", lock_store_url=None)) == (
        "memory://"
    )
