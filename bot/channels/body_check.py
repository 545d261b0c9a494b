"""What every request to the Rasa server must pass before any handler reads it.

Installed on the whole Sanic app by the REST channel's blueprint (``install_on``), because
``/model/parse`` belongs to Rasa's own API, not to a channel:

- a size limit on every route (``MAX_BODY_BYTES``, Sanic's own ``REQUEST_MAX_SIZE``: a larger
  body gets 413 before it is read; Sanic's default is 100 MB);
- the REST webhook takes ``application/json`` only (415 otherwise): a web page on another
  site can post a form or ``text/plain`` to any address without asking, but not JSON;
- a body that is not the expected JSON object gets a 400 with a plain reason, never
  Rasa's 500 with a stack trace in the log;
- ``/model/parse`` reads at most ``MAX_MESSAGE_CHARS`` characters of its text (the
  channels answer longer messages without the NLU, see ``guard``): a 60 kB text would cost
  the NLU seconds that ordinary customers wait for;
- REST messages over the rate limit per sender id and per client address get a polite
  answer and no turn (``rate_limit``);
- a REST sender id shaped like another channel's conversation ids (``sms-``,
  ``telegram-``: ``support.conversation_id``) is refused with 400: sender ids are owned by
  their channel, so REST can neither read nor write an SMS or Telegram conversation.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from sanic import Blueprint, Sanic, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.channels import deadline
from bot.channels.guard import MAX_MESSAGE_CHARS
from bot.channels.rate_limit import (
    TrafficLimiter,
    client_address,
    get_limiter,
    rate_limited_reply,
)

MAX_BODY_BYTES = 64 * 1024  # a customer message is at most a few kB; the guard caps text
MAX_SENDER_CHARS = 128  # conversation ids: ours are at most about 40 characters
# prefixes of the conversation ids other channels own (bot.channels.support.conversation_id)
OTHER_CHANNELS_PREFIXES = ("sms-", "telegram-")
REST_PATH = "/webhooks/rest/webhook"
PARSE_PATH = "/model/parse"
JSON_ONLY = {REST_PATH}
# path -> (the field that must hold a string, the fields that must be strings when present)
CHECKED: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    REST_PATH: ("sender", ("message",)),
    PARSE_PATH: ("text", ("message_id",)),
}


def _path(request: Request) -> str:
    return request.path.rstrip("/") or "/"


def declared_too_large(request: Request) -> bool:
    try:
        return int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES
    except ValueError:
        return False


def problem(request: Request) -> Optional[Tuple[int, str]]:
    """The HTTP status and the reason the body cannot be handled, or None when it is fine."""
    # Sanic stops reading at REQUEST_MAX_SIZE and still runs this middleware before its
    # error handler: say 413 here, not "bad JSON" about the part it read
    if declared_too_large(request) or len(request.body or b"") > MAX_BODY_BYTES:
        return 413, f"the body is larger than {MAX_BODY_BYTES} bytes"
    path = _path(request)
    rule = CHECKED.get(path)
    if request.method != "POST" or rule is None or request.route is None:
        return None  # no route (Rasa's API is off): Sanic's 404, not a complaint about JSON
    if path in JSON_ONLY:
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip()
        if content_type.lower() != "application/json":
            return 415, "the body must be sent as Content-Type: application/json"
    try:
        data: Any = request.json  # parsed once and cached: Rasa's handler reuses it
    except (InvalidUsage, UnicodeDecodeError, ValueError):
        return 400, "the body must be a JSON object"
    if not isinstance(data, dict):
        return 400, "the body must be a JSON object"
    required, optional = rule
    value = data.get(required)
    if not isinstance(value, str) or not value.strip():
        return 400, f"'{required}' must be a non-empty string"
    if path == REST_PATH and len(value) > MAX_SENDER_CHARS:
        return 400, f"'sender' must be at most {MAX_SENDER_CHARS} characters"
    if path == REST_PATH and value.strip().lower().startswith(OTHER_CHANNELS_PREFIXES):
        return 400, "'sender' must not start with another channel's prefix (sms-, telegram-)"
    for name in optional:
        if name in data and data[name] is not None and not isinstance(data[name], str):
            return 400, f"'{name}' must be a string"
    if path == PARSE_PATH and len(value) > MAX_MESSAGE_CHARS:
        data[required] = value[:MAX_MESSAGE_CHARS]  # the cached dict Rasa's handler reads
    return None


def make_check(limiter: TrafficLimiter) -> Callable[[Request], Any]:
    async def check_body(request: Request) -> Optional[response.HTTPResponse]:
        found = problem(request)
        if found is not None:
            status, reason = found
            body = {"status": "failure", "reason": "BadRequest", "message": reason}
            return response.json(body, status)
        if request.method == "POST" and request.route is not None and _path(request) == REST_PATH:
            sender = request.json["sender"]
            wait = await limiter.over_limit("rest", sender, client_address(request))
            if wait:
                return response.json(
                    [{"recipient_id": sender, "text": rate_limited_reply(wait)}],
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
        return None

    check_body.klbot_body_check = True  # type: ignore[attr-defined]
    return check_body


def limit_request_size(app: Sanic) -> None:
    """Sanic answers 413 to a larger body before reading it (every route, every channel),
    and a request must arrive whole within ``deadline.REQUEST_DEADLINE`` (slowloris)."""
    app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, MAX_BODY_BYTES)
    app.config.WEBSOCKET_MAX_SIZE = min(app.config.WEBSOCKET_MAX_SIZE, MAX_BODY_BYTES)
    deadline.install()


def install_on(blueprint: Blueprint, limiter: Optional[TrafficLimiter] = None) -> None:
    """Register the checks on the app that the blueprint is mounted on."""

    def register(app: Sanic, _loop: Any) -> None:
        limit_request_size(app)
        if not any(getattr(m, "klbot_body_check", False) for m in app.request_middleware):
            app.register_middleware(make_check(limiter or get_limiter()))

    listener: Callable[..., None] = register
    blueprint.listener("before_server_start")(listener)
