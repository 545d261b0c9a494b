"""Rasa's socket.io channel (the web chat's transport), guarded and with fixed metadata.

Differences from ``rasa.core.channels.socketio.SocketIOInput``:
- the turn is wrapped by ``guarded`` (empty/huge messages, apology when nothing was said);
- metadata is always ``{"channel": "socketio"}``: a browser can send anything, and nothing it
  sends may pose as a channel proof such as ``verified_phone``;
- session ids are only accepted in the shape this server hands out (32 hex digits), so a
  browser cannot attach itself to a conversation of another channel by naming its id;
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

import inspect
import logging
import re
import uuid
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

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"[0-9a-f]{32}")


def valid_session_id(value: object) -> bool:
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


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
            session_id = requested if valid_session_id(requested) else uuid.uuid4().hex
            session = await sio.get_session(sid, namespace=namespace)
            previous = session.get("session_id")
            session["session_id"] = session_id
            await sio.save_session(sid, session, namespace=namespace)
            if self.session_persistence:
                if previous and previous != session_id:  # "new conversation" in the page
                    await _maybe_await(sio.leave_room(sid, previous, namespace=namespace))
                await _maybe_await(sio.enter_room(sid, session_id, namespace=namespace))
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict):
                return
            session = await sio.get_session(sid, namespace=namespace)
            if self.session_persistence:
                sender_id = session.get("session_id")
                if not sender_id or data.get("session_id") not in (None, sender_id):
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
