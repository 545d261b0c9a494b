"""Size, input, origin and rate limits in the app itself (not only in nginx)."""

from __future__ import annotations

import asyncio
import json
from typing import Dict, Optional

import httpx
import pytest
import socketio

from bot.channels.guard import MAX_MESSAGE_CHARS, TOO_LONG_REPLY
from bot.channels.rate_limit import RATE_LIMITED_REPLY
from tests.channels.conftest import PUBLIC_URL, SMS_PATH, TELEGRAM_PATH, post_sms, post_update
from tests.security.conftest import EXTRA_ORIGIN, new_address, new_sender

pytestmark = [pytest.mark.e2e]

FIVE_MB = 5 * 1024 * 1024
REST = "/webhooks/rest/webhook"


def rest(assistant, sender: str, text: str, headers: Optional[Dict[str, str]] = None):
    return httpx.post(
        assistant.url + REST,
        json={"sender": sender, "message": text},
        headers=headers or {},
        timeout=90,
    )


def still_answers(assistant) -> None:
    response = rest(assistant, new_sender("after"), "hvor lenge lagrer dere opplysningene?")
    assert response.status_code == 200 and response.json(), response.text[:200]


# --- size ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,content_type",
    [
        (REST, "application/json"),
        (SMS_PATH, "application/x-www-form-urlencoded"),
        (TELEGRAM_PATH, "application/json"),
        ("/model/parse", "application/json"),
        ("/socket.io/?EIO=4&transport=polling", "text/plain"),
    ],
)
def test_a_5mb_body_is_refused_with_413(secure, path, content_type):
    body = b'{"sender": "big", "message": "' + b"x" * FIVE_MB + b'"}'
    url = secure.api_url(path) if path == "/model/parse" else secure.url + path
    response = httpx.post(url, content=body, headers={"Content-Type": content_type}, timeout=90)
    assert response.status_code == 413, (path, response.status_code, response.text[:200])
    still_answers(secure)


def test_a_100kb_parse_is_refused_and_a_long_text_is_cut_before_the_nlu(secure):
    big = httpx.post(secure.api_url("/model/parse"), json={"text": "hei " * 25_000}, timeout=90)
    assert big.status_code == 413
    long_text = "jeg vil slette dataene mine " * 2000  # 56 kB, under the body limit
    parsed = httpx.post(secure.api_url("/model/parse"), json={"text": long_text}, timeout=90)
    assert parsed.status_code == 200, parsed.text[:200]
    assert parsed.json()["text"] == long_text[:MAX_MESSAGE_CHARS]


def test_a_long_message_on_each_channel_gets_an_answer_without_the_nlu(secure, fake_api):
    text = "slett meg " * 1000  # 10 000 characters
    sender = new_sender("long")
    replies = rest(secure, sender, text).json()
    assert [m.get("text") for m in replies] == [TOO_LONG_REPLY]
    assert not [e for e in secure.tracker(sender)["events"] if e["event"] == "user"]

    sms = post_sms(secure, text, "+4741599001")
    assert sms.status_code == 200 and "for lang" in sms.text

    user = {"id": 555000111, "is_bot": False, "first_name": "Kari"}
    update = {
        "update_id": 990001,
        "message": {
            "message_id": 1,
            "from": user,
            "chat": {"id": user["id"], "type": "private"},
            "date": 1,
            "text": text,
        },
    }
    assert post_update(secure, update).status_code == 200
    sent = fake_api.wait_for("sendMessage", chat_id=user["id"])
    assert sent and "for lang" in json.dumps(sent[-1].params, ensure_ascii=False)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", None, "text/json"]
)
def test_the_rest_webhook_takes_json_only(secure, content_type):
    body = json.dumps({"sender": new_sender("ctype"), "message": "hei"}).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(secure.url + REST, content=body, headers=headers, timeout=60)
    assert response.status_code == 415, (content_type, response.status_code)


# --- origin -------------------------------------------------------------------------------


async def _open_chat(url: str, origin: Optional[str]) -> str:
    """Connect as a page from ``origin`` would, send one message; return the first reply."""
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", lambda sid: confirmed.put_nowait(sid))
    client.on("bot_uttered", lambda message: replies.put_nowait(message))
    headers = {"Origin": origin} if origin else {}
    await client.connect(
        url, socketio_path="/socket.io", headers=headers, transports=["polling"], wait_timeout=20
    )
    try:
        await client.emit("session_request", {"session_id": None})
        session_id = await asyncio.wait_for(confirmed.get(), 20)
        await client.emit("user_uttered", {"message": "hei", "session_id": session_id})
        return (await asyncio.wait_for(replies.get(), 60)).get("text", "")
    finally:
        await client.disconnect()


@pytest.mark.parametrize("origin", ["https://evil.example", "null", PUBLIC_URL + ".evil.example"])
async def test_a_page_from_a_foreign_origin_cannot_open_the_web_chat(secure, origin):
    with pytest.raises(socketio.exceptions.ConnectionError):
        await _open_chat(secure.url, origin)
    # and a plain HTTP poll with that Origin is refused too (what a browser would send)
    poll = httpx.get(secure.url + "/socket.io/?EIO=4&transport=polling", headers={"Origin": origin})
    assert poll.status_code == 400


@pytest.mark.parametrize("which", ["public-url", "extra", "own-page-in-development"])
async def test_the_allowed_origins_can_open_the_web_chat(secure, which):
    origin = {
        "public-url": PUBLIC_URL,
        "extra": EXTRA_ORIGIN,
        "own-page-in-development": f"http://127.0.0.1:{secure.rasa_port}",
    }[which]
    assert await _open_chat(secure.url, origin)


# --- rate limits --------------------------------------------------------------------------


def test_a_flood_from_one_sender_gets_a_polite_answer_not_a_turn(secure):
    sender, address = new_sender("flood"), new_address()
    statuses, texts = [], []
    for _ in range(25):
        response = rest(secure, sender, "", address)
        statuses.append(response.status_code)
        texts.append([m.get("text") for m in response.json()])
    assert statuses[:20] == [200] * 20, statuses
    assert statuses[20:] == [429] * 5, statuses
    (refusal,) = texts[-1]
    assert refusal.startswith(RATE_LIMITED_REPLY)
    # the real wait: Retry-After and the text agree, within the minute window
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60 and f"om {wait} sekund" in refusal, (wait, refusal)
    # the same sender from another address is still over its limit; others are not
    assert rest(secure, sender, "hei", new_address()).status_code == 429
    assert rest(secure, new_sender("other"), "hei", address).status_code == 200


def test_a_flood_from_one_address_across_senders_is_limited(secure):
    address = new_address()
    statuses = [rest(secure, new_sender("addr"), "", address).status_code for _ in range(65)]
    assert statuses[:60] == [200] * 60 and statuses[60:] == [429] * 5, statuses
    assert rest(secure, new_sender("elsewhere"), "hei", new_address()).status_code == 200


async def test_a_flood_on_the_web_chat_gets_a_polite_answer(secure):
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", lambda sid: confirmed.put_nowait(sid))
    client.on("bot_uttered", lambda message: replies.put_nowait(message.get("text")))
    await client.connect(
        secure.url, socketio_path="/socket.io", headers=new_address(), transports=["polling"]
    )
    try:
        await client.emit("session_request", {"session_id": None})
        session_id = await asyncio.wait_for(confirmed.get(), 20)
        texts = []
        for _ in range(25):  # one after the other, as a script in a page would
            await client.emit("user_uttered", {"message": "", "session_id": session_id})
            texts.append(await asyncio.wait_for(replies.get(), 60))
    finally:
        await client.disconnect()
    refused = [text.startswith(RATE_LIMITED_REPLY) for text in texts]
    assert refused == [False] * 20 + [True] * 5, texts
