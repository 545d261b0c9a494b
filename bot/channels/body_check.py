"""Malformed JSON bodies get a 400 with a plain reason, never Rasa's 500.

Rasa 3.6 answers a POST to ``/webhooks/rest/webhook`` or ``/model/parse`` whose body is not
a JSON object (bad JSON, ``null``, a list, a missing ``sender``) with a 500 and a stack trace
in the log. This request middleware checks the body first. It is installed on the whole
Sanic app by the REST channel's blueprint (``install_on``), because ``/model/parse`` belongs
to Rasa's own API, not to a channel.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from sanic import Blueprint, Sanic, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request

MAX_BODY_BYTES = 256 * 1024  # a customer message is at most a few kB; the guard caps text
# path -> (the field that must hold a string, the fields that must be strings when present)
CHECKED: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "/webhooks/rest/webhook": ("sender", ("message",)),
    "/model/parse": ("text", ("message_id",)),
}


def problem(request: Request) -> Optional[Tuple[int, str]]:
    """The HTTP status and the reason the body cannot be handled, or None when it is fine."""
    rule = CHECKED.get(request.path.rstrip("/") or "/")
    if request.method != "POST" or rule is None:
        return None
    body = request.body or b""
    if len(body) > MAX_BODY_BYTES:
        return 413, f"the body is larger than {MAX_BODY_BYTES} bytes"
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
    for name in optional:
        if name in data and data[name] is not None and not isinstance(data[name], str):
            return 400, f"'{name}' must be a string"
    return None


async def check_body(request: Request) -> Optional[response.HTTPResponse]:
    found = problem(request)
    if found is None:
        return None
    status, reason = found
    return response.json({"status": "failure", "reason": "BadRequest", "message": reason}, status)


def install_on(blueprint: Blueprint) -> None:
    """Register ``check_body`` on the app that the blueprint is mounted on."""

    def register(app: Sanic, _loop: Any) -> None:
        if check_body not in app.request_middleware:
            app.register_middleware(check_body, "request")

    listener: Callable[..., None] = register
    blueprint.listener("before_server_start")(listener)
