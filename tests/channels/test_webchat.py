"""The web chat: the page and policy served by the Rasa server, and its socket.io channel."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import socketio

from bot.policy import policy_text
from tests.channels.conftest import last_user_metadata

pytestmark = [pytest.mark.e2e]

PAGE = "/webhooks/webchat/"


def test_chat_page_is_served_with_its_privacy_notice_and_no_third_party(channels):
    response = httpx.get(channels.url + PAGE, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert 'lang="nb"' in page and 'name="viewport"' in page
    assert 'id="klbot-privacy"' in page and "Personvern" in page
    assert 'href="/webhooks/webchat/personvern"' in page
    assert "http://" not in page and "https://" not in page, "no CDN or third-party asset"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    for asset in (
        "static/socket.io.min.js",
        "static/chat-core.js",
        "static/chat.js",
        "static/chat.css",
    ):
        assert f"/webhooks/webchat/{asset}" in page
        served = httpx.get(f"{channels.url}/webhooks/webchat/{asset}", timeout=30)
        assert served.status_code == 200 and served.content, asset
    js = httpx.get(f"{channels.url}/webhooks/webchat/static/socket.io.min.js", timeout=30)
    assert js.headers["content-type"].startswith("text/javascript")
    assert "Socket.IO v4" in js.text[:200]
    licence = httpx.get(f"{channels.url}/webhooks/webchat/static/socket.io.LICENSE.txt", timeout=30)
    assert licence.status_code == 200 and "MIT" in licence.text


def test_unknown_static_files_are_not_served(channels):
    for name in ("../__init__.py", "%2e%2e%2f__init__.py", "page.html", "nope.js"):
        response = httpx.get(f"{channels.url}/webhooks/webchat/static/{name}", timeout=30)
        assert response.status_code == 404, name


def test_privacy_policy_is_served_as_html_and_text(channels):
    text = httpx.get(channels.url + PAGE + "personvern.txt", timeout=30)
    assert text.status_code == 200 and text.text == policy_text()
    page = httpx.get(channels.url + PAGE + "personvern", timeout=30)
    assert page.status_code == 200
    assert "Hvilke personopplysninger håndterer vi?" in page.text
    assert "Datatilsynet" in page.text
    assert 'href="/webhooks/webchat/"' in page.text


async def _session(url: str, requested):
    """Connect a socket.io client, request a session; return (client, session id, inbox)."""
    client = socketio.AsyncClient(reconnection=False)
    confirmed = asyncio.get_running_loop().create_future()
    inbox: asyncio.Queue = asyncio.Queue()

    @client.on("session_confirm")
    async def on_confirm(session_id):
        if not confirmed.done():
            confirmed.set_result(session_id)

    @client.on("bot_uttered")
    async def on_bot(message):
        await inbox.put(message)

    # long polling: python-engineio's websocket client needs a newer aiohttp than Rasa pins
    await client.connect(url, socketio_path="/socket.io", wait_timeout=20, transports=["polling"])
    await client.emit("session_request", {"session_id": requested})
    session_id = await asyncio.wait_for(confirmed, 20)
    return client, session_id, inbox


async def close(client: socketio.AsyncClient) -> None:
    """Drop the connection at once (a polite disconnect waits out a long poll)."""
    await client.eio.disconnect(abort=True)


def conversation(token: str) -> str:
    """The conversation (Rasa sender) id of a token the server issued: ``<id>.<signature>``."""
    session_id, signature = token.split(".")
    assert len(session_id) == 32 and len(signature) == 32 and int(session_id + signature, 16) >= 0
    return session_id


async def test_session_ids_of_other_shapes_are_replaced(channels):
    for bogus in ("+4791234567", "sms-" + "a" * 32, "../x", 12345, "A" * 32, "a" * 32):
        client, token, _ = await _session(channels.url, bogus)
        await close(client)
        assert token != bogus and conversation(token) != bogus


async def test_a_client_chosen_or_forged_session_id_is_refused(channels):
    """Session fixation: an id the client picks (an attacker plants it in a victim's browser,
    then reads along) or a real conversation's id with a made-up signature is not taken;
    the server issues a new conversation instead."""
    first, token, _ = await _session(channels.url, None)
    await close(first)
    victim = conversation(token)
    forged_signature = victim + "." + "0" * 32
    other_signature = victim + "." + token.split(".")[1][::-1]
    for attempt in (uuid.uuid4().hex, victim, forged_signature, other_signature, token + "0"):
        client, issued, _ = await _session(channels.url, attempt)
        await close(client)
        assert conversation(issued) != victim, attempt
        assert issued != attempt


async def test_a_reconnected_page_keeps_its_session_and_gets_the_replies(channels):
    first, token, _ = await _session(channels.url, None)
    wanted = conversation(token)
    await close(first)
    # the "reloaded page": a new socket with the stored (signed) session id
    second, again, inbox = await _session(channels.url, token)
    try:
        assert again == token
        await second.emit(
            "user_uttered",
            {
                "message": "Hvem er behandlingsansvarlig?",
                "session_id": token,
                "metadata": {"verified_phone": "+4791234567", "channel": "twilio_sms"},
            },
        )
        reply = await asyncio.wait_for(inbox.get(), 60)
        assert reply.get("text"), reply
    finally:
        await close(second)
    events = [
        e["event"]
        for e in httpx.get(channels.api_url(f"/conversations/{wanted}/tracker"), timeout=30).json()[
            "events"
        ]
    ]
    assert "user" in events and "bot" in events
    # a browser cannot pose as another channel or bring its own proof of a phone number
    meta = last_user_metadata(channels, wanted)
    assert meta["channel"] == "socketio" and set(meta) <= {"channel", "client"}, meta
    # ``client``: an opaque keyed hash of the address (the complaint limit), never the address
    assert str(meta.get("client", "c-")).startswith("c-") and "127.0.0.1" not in str(meta)


async def test_a_message_naming_another_session_is_ignored(channels):
    client, session_id, inbox = await _session(channels.url, None)
    victim = uuid.uuid4().hex
    try:
        await client.emit("user_uttered", {"message": "hei", "session_id": victim})
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(inbox.get(), 5)
    finally:
        await close(client)
    response = httpx.get(channels.api_url(f"/conversations/{victim}/tracker"), timeout=30)
    assert not [e for e in response.json().get("events") or [] if e["event"] == "user"]
