"""bench.turns' arithmetic and load shape: no server, no timing (a mock transport answers)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from bench import turns


def test_percentile_is_nearest_rank_on_the_sorted_values():
    values = [float(v) for v in range(100, 0, -1)]  # 100 .. 1, unsorted
    assert turns.percentile(values, 50) == 51.0  # round(0.5 * 99) = 50: the 51st smallest
    assert turns.percentile(values, 99) == 99.0  # not the maximum: the second largest of 100
    assert turns.percentile(values, 100) == 100.0
    assert turns.percentile(values, 0) == 1.0


def test_percentile_of_four_turns_is_the_slowest():
    """Why a level needs many turns: of four, p99 is simply the slowest (the cold first)."""
    assert turns.percentile([0.9, 0.04, 0.05, 0.03], 99) == 0.9


def test_percentile_of_nothing_is_nan():
    assert turns.percentile([], 99) != turns.percentile([], 99)


@pytest.mark.parametrize(("users", "expected"), [(1, 25), (8, 32), (32, 128)])
def test_every_level_has_enough_conversations_for_a_p99(users, expected):
    assert turns.conversations_for(users) == expected
    assert expected * turns.TURNS_PER_CONVERSATION >= 100


def test_conversation_numbers_are_never_reused():
    first, second = turns.next_indices(3), turns.next_indices(3)
    assert len(set(first + second)) == 6


def test_summary():
    row = turns.summary([0.01] * 99 + [1.0], errors=2, elapsed=4.0)
    assert row["turns"] == 100
    assert row["errors"] == 2
    assert row["median_ms"] == pytest.approx(10.0)
    assert row["p99_ms"] == pytest.approx(10.0)
    assert row["max_ms"] == pytest.approx(1000.0)
    assert row["throughput_per_s"] == 25.0


def answering_transport(log: list, in_flight: list):
    """Answers every REST turn; records the sender and how many turns were in flight."""
    state = {"now": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        state["now"] += 1
        in_flight.append(state["now"])
        await asyncio.sleep(0.001)
        log.append(json.loads(request.content)["sender"])
        state["now"] -= 1
        return httpx.Response(200, json=[{"text": "ok"}])

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(("users", "conversations"), [(1, 5), (4, 10)])
def test_a_level_runs_its_conversations_with_that_many_users_at_once(users, conversations):
    log, in_flight = [], []
    row = asyncio.run(
        turns.run_level(
            "http://bench.invalid",
            users,
            lambda i: ["a", "b", "c", "d"],
            conversations=conversations,
            transport=answering_transport(log, in_flight),
        )
    )
    assert row["turns"] == conversations * 4 == len(log)
    assert row["conversations"] == conversations
    assert row["errors"] == 0
    assert len(set(log)) == conversations  # each conversation its own sender, 4 turns each
    assert all(log.count(sender) == 4 for sender in set(log))
    assert max(in_flight) == users


def test_a_level_counts_refused_turns_as_errors():
    transport = httpx.MockTransport(lambda request: httpx.Response(500))
    row = asyncio.run(
        turns.run_level(
            "http://bench.invalid", 2, lambda i: ["a"], conversations=3, transport=transport
        )
    )
    assert row["errors"] == row["turns"] == 3
