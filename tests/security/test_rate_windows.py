"""Issue 22: one flood must not lock everyone behind an address for an hour, and the
refusal says the real wait. The real limiter (``limits``, in memory) on a clock the test
moves; each test fails if the attack succeeds."""

from __future__ import annotations

import time
import uuid

import pytest

from bot.channels.rate_limit import (
    RATE_LIMITED_REPLY,
    TrafficLimiter,
    rate_limited_reply,
)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


async def test_a_refused_flood_does_not_fill_the_hour_window(clock):
    limiter = TrafficLimiter("memory://")
    office = "203.0.113.7"  # an office NAT: the attacker and everyone else
    refused = [await limiter.over_limit("rest", uuid.uuid4().hex, office) for _ in range(1200)]
    assert sum(1 for wait in refused if not wait) == 60  # the minute window's room
    assert all(0 < wait <= 60 for wait in refused[60:])
    clock.now += 61
    # a minute later a fresh client at the same address is served
    assert await limiter.over_limit("rest", uuid.uuid4().hex, office) == 0


async def test_the_refusal_says_the_real_wait(clock):
    limiter = TrafficLimiter("memory://")
    sender = uuid.uuid4().hex
    for _ in range(20):
        assert await limiter.over_limit("rest", sender, "203.0.113.8") == 0
    clock.now += 45
    wait = await limiter.over_limit("rest", sender, "203.0.113.8")
    assert 14 <= wait <= 16  # the minute window has room again in 15 s, not "a minute"
    assert rate_limited_reply(wait).startswith(RATE_LIMITED_REPLY)
    assert "15 sekunder" in rate_limited_reply(15)
    # the hour window: 300 an hour per sender, spread over the hour; its wait is longer
    for minute in range(15):
        clock.now += 61
        for _ in range(20):
            await limiter.over_limit("rest", sender, f"198.51.100.{minute}")
    clock.now += 61
    wait = await limiter.over_limit("rest", sender, "198.51.100.200")
    assert wait > 60
    assert "minutter" in rate_limited_reply(wait)


async def test_sms_and_telegram_senders_are_limited(clock):
    limiter = TrafficLimiter("memory://")
    for channel in ("twilio_sms", "telegram"):
        sender = uuid.uuid4().hex
        waits = [await limiter.over_limit(channel, sender, "") for _ in range(15)]
        assert [bool(w) for w in waits] == [False] * 10 + [True] * 5
