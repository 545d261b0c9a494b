"""The HTTP surface under hostile input and under load, against the real servers.

A fuzz test (random and hostile messages, huge bodies, bad JSON, bad form data) must produce
no 5xx and no lost or duplicated ticket; a bounded load test (count and time, loopback only)
runs many opt-out conversations at once and checks that every one wrote exactly one
suppression and one ticket.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.servers import klbot

pytestmark = [pytest.mark.e2e]

HOSTILE_TEXTS = [
    "",
    " ",
    "\n\t",
    "\x00\x01\x02",
    "a" * 5000,
    "ø" * 3000,
    "<script>alert(1)</script>",
    "'; DROP TABLE customers; --",
    "/restart",
    "/request_erasure",
    '/inform{"email": "x@y.no"}',
    "/nlu_fallback",
    "{{7*7}}",
    "\u202eslett meg",
    "🔥" * 400,
    "STOPP " * 300,
]


def post(url: str, **kwargs) -> httpx.Response:
    return httpx.post(url, timeout=90, **kwargs)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_messages_get_an_answer_not_an_error(assistant, text):
    response = post(
        f"{assistant.url}/webhooks/rest/webhook",
        json={"sender": f"fuzz-{abs(hash(text)) % 10**8}", "message": text},
    )
    assert response.status_code < 500, response.text[:300]
    messages = response.json()
    assert isinstance(messages, list) and messages, "every message gets at least one reply"
    for message in messages:
        assert "Traceback" not in message.get("text", "")


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b"null", "application/json"),
        (b"[]", "application/json"),
        (b'{"sender": 5, "message": {"a": 1}}', "application/json"),
        (b'{"message": "hei"}', "application/json"),
        (b"sender=a&message=hei", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
        (json.dumps({"sender": "big", "message": "x" * 2_000_000}).encode(), "application/json"),
    ],
    ids=["bad-json", "empty", "null", "list", "wrong-types", "no-sender", "form", "binary", "2MB"],
)
def test_malformed_bodies_are_refused_without_a_server_error(assistant, body, content_type):
    for path in ("/webhooks/rest/webhook", "/webhooks/twilio_sms/webhook", "/model/parse"):
        response = post(
            f"{assistant.url}{path}", content=body, headers={"Content-Type": content_type}
        )
        # refused, and said why: a client error, never a server error or a silent 200
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:300])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(min_size=0, max_size=400))
def test_random_text_never_breaks_the_server(assistant, text):
    response = post(
        f"{assistant.url}/webhooks/rest/webhook",
        json={"sender": "fuzz-random", "message": text},
    )
    assert response.status_code < 500, response.text[:300]
    assert isinstance(response.json(), list)


def _opt_out_rows(env, addresses):
    requests = json.loads(klbot(env, "requests", "list", "--json").stdout)
    suppressions = json.loads(klbot(env, "suppressions", "export", "--json").stdout)
    return (
        [s for s in suppressions if s["address"] in addresses],
        [
            r
            for r in requests
            if r["kind"] == "opt_out" and r["details"].get("address") in addresses
        ],
    )


async def _conversation(client, url, sender, phone, hostile):
    turns = ["jeg vil ikke ha reklame på sms", phone]
    for index, text in enumerate(turns):
        response = await client.post(url, json={"sender": sender, "message": text})
        assert response.status_code == 200, response.text[:300]
        if index == 0:
            # garbage from someone else in between must not disturb this conversation
            bad = await client.post(
                url, content=hostile, headers={"Content-Type": "application/json"}
            )
            assert bad.status_code < 500


def test_load_many_opt_outs_at_once_lose_and_duplicate_nothing(assistant):
    """32 conversations at once, bounded in count and time, each opting one number out."""
    count, deadline_s = 32, 240
    run = int(time.time()) % 1000
    # 41x xx xxx: a Norwegian mobile range (42, 43, 44 and 49 are not, and would be refused)
    phones = [f"41{run:03d}{i:03d}" for i in range(count)]
    addresses = {f"+47{p}" for p in phones}
    url = f"{assistant.url}/webhooks/rest/webhook"

    async def main():
        async with httpx.AsyncClient(timeout=120) as client:
            jobs = [
                _conversation(
                    client, url, f"load-{run}-{i}", f"{p[:3]} {p[3:5]} {p[5:]}", b"{bad json"
                )
                for i, p in enumerate(phones)
            ]
            await asyncio.wait_for(asyncio.gather(*jobs), timeout=deadline_s)

    asyncio.run(main())
    suppressions, tickets = _opt_out_rows(assistant.env, addresses)
    assert sorted(s["address"] for s in suppressions if s["channel"] == "sms") == sorted(addresses)
    assert len(tickets) == count, f"{len(tickets)} opt-out tickets for {count} conversations"
