"""Rasa's socket.io channel (the web chat's transport), guarded and with fixed metadata.

Differences from ``rasa.core.channels.socketio.SocketIOInput``:
- the turn is wrapped by ``guarded`` (empty/huge messages, apology when nothing was said);
- metadata is always ``{"channel": "socketio"}``: a browser can send anything, and nothing it
  sends may pose as a channel proof such as ``verified_phone``;
- session ids are issued by this server and signed: the browser keeps ``<id>.<signature>``
  (an HMAC of the 32-hex conversation id with ``web_session_key``), and a session request
  naming anything else (a client-chosen 32-hex id, another channel's id, a forged
  signature) gets a new conversation. So a browser cannot attach itself to another
  conversation by naming its id, nor plant an id of its choosing on someone else's browser
  (session fixation);
- the socket joins its session's room with ``await sio.enter_room(...)``: python-socketio
  5.10+ made ``enter_room`` a coroutine and Rasa 3.6 calls it without ``await``, so with
  ``session_persistence`` the socket never joined the room and got no replies at all;
- only pages of allowed web origins may connect (``bot.channels.origins``; python-engineio
  checks the ``Origin`` of polling and WebSocket requests alike);
- the socket's session id is remembered per connection: a message names the session it
  belongs to, and one naming another session is refused;
- only pages from the allowed origins may connect (``bot.channels.origins``): Rasa's
  ``cors_allowed_origins=[]`` turns python-engineio's Origin check off, so any web site
  could drive the chat from its visitors' browsers;
- messages over the rate limit per session and per client address get a polite answer
  and no turn (``rate_limit``); a socket.io packet is at most ``MAX_BODY_BYTES``.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import logging
import re
import secrets
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, Optional

import rasa.core.channels.channel
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.body_check import MAX_BODY_BYTES
from bot.channels.guard import guarded
from bot.channels.origins import origin_allowed
from bot.channels.rate_limit import (
    client_address,
    client_key,
    get_limiter,
    rate_limited_reply,
)
from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)

SESSION_TOKEN = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{32})")
DEVELOPMENT_KEY = "klbot-development-web-session"


@lru_cache(maxsize=4)
def _key(secret: Optional[str], action_token: Optional[str], development: bool) -> bytes:
    if secret:
        return secret.encode("utf-8")
    if action_token:  # shared by every instance (and the action server) of one deployment
        return hmac.new(action_token.encode(), b"klbot web session", hashlib.sha256).digest()
    if development:
        return DEVELOPMENT_KEY.encode()
    logger.warning(
        "KLBOT_WEB_SESSION_SECRET and KLBOT_ACTION_TOKEN are unset: web chat sessions are "
        "signed with a key of this process only (they end when it restarts)"
    )
    return secrets.token_bytes(32)


def web_session_key(settings: Optional[Settings] = None) -> bytes:
    """The key that signs web session ids: ``KLBOT_WEB_SESSION_SECRET``; unset, one derived
    from ``KLBOT_ACTION_TOKEN`` (the same on every instance); neither, in development a fixed
    key, in production one per process (with a warning)."""
    settings = settings or get_settings()
    return _key(settings.web_session_secret, settings.action_token, settings.is_development)


def _signature(session_id: str, key: bytes) -> str:
    return hmac.new(key, b"socketio:" + session_id.encode(), hashlib.sha256).hexdigest()[:32]


def issue_session(key: Optional[bytes] = None) -> str:
    """A new conversation's token for the browser: ``<32-hex id>.<signature>``."""
    session_id = secrets.token_hex(16)
    return f"{session_id}.{_signature(session_id, key or web_session_key())}"


def session_of(token: object, key: Optional[bytes] = None) -> Optional[str]:
    """The conversation id of a token this server issued, or None (forged, chosen, other)."""
    match = SESSION_TOKEN.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        return None
    expected = _signature(match.group(1), key or web_session_key())
    return match.group(1) if hmac.compare_digest(match.group(2), expected) else None


async def _maybe_await(result: Any) -> None:
    """python-socketio < 5.10 made room calls plain functions, later ones coroutines."""
    if inspect.isawaitable(result):
        await result


class GuardedSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        handle = guarded(on_new_message)
        namespace = self.namespace
        limiter = get_limiter()
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=origin_allowed,
            max_http_buffer_size=MAX_BODY_BYTES,
        )
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: Dict, auth: Optional[Dict] = None) -> bool:
            request = environ.get("sanic.request")
            address = client_address(request) if request is not None else ""
            await sio.save_session(sid, {"address": address}, namespace=namespace)
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            if not token:
                return False
            payload = rasa.core.channels.channel.decode_bearer_token(
                token, self.jwt_key, self.jwt_algorithm
            )
            return bool(payload)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = session_of(requested)
            token = requested if session_id else issue_session()
            session_id = session_id or token.split(".", 1)[0]
            session = await sio.get_session(sid, namespace=namespace)
            previous = session.get("session_id")
            session["session_id"] = session_id
            session["token"] = token
            await sio.save_session(sid, session, namespace=namespace)
            if self.session_persistence:
                if previous and previous != session_id:  # "new conversation" in the page
                    await _maybe_await(sio.leave_room(sid, previous, namespace=namespace))
                await _maybe_await(sio.enter_room(sid, session_id, namespace=namespace))
            await sio.emit("session_confirm", token, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict):
                return
            session = await sio.get_session(sid, namespace=namespace)
            if self.session_persistence:
                sender_id = session.get("session_id")
                named = data.get("session_id")
                if not sender_id or named not in (None, sender_id, session.get("token")):
                    logger.warning("socket.io message without a matching session; ignored")
                    return
            else:
                sender_id = sid
            text = data.get("message")
            output = SocketIOOutput(sio, self.bot_message_evt)
            wait = await limiter.over_limit("socketio", sender_id, session.get("address", ""))
            if wait:
                await output.send_text_message(sender_id, rate_limited_reply(wait))
                return
            message = UserMessage(
                text if isinstance(text, str) else "",
                output,
                sender_id,
                input_channel=self.name(),
                metadata={"channel": self.name(), "client": client_key(session.get("address", ""))},
            )
            await handle(message)

        return socketio_webhook
