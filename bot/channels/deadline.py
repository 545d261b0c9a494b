"""A total deadline for receiving a request's headers and body, on every route.

Sanic's ``REQUEST_TIMEOUT`` is an idle timeout: every byte that arrives starts it again, so a
client trickling one byte every few seconds holds a connection (and a file descriptor, and
memory) forever, and a few hundred such clients starve everyone else (slowloris). Here
each request must arrive whole within ``REQUEST_DEADLINE`` seconds of its first byte: the
headers, and the body (the handler waits for it) included. After that the connection is
closed, exactly as Sanic closes one on its own request timeout. A websocket, once upgraded,
and a handler that is working (a turn of the assistant) are not limited here; Sanic's
response timeout covers the latter.

``install()`` patches Sanic's HTTP protocol class once per process (the Rasa server calls
it before it serves, through ``body_check``); it is idempotent.
"""

from __future__ import annotations

import logging
from time import monotonic

from sanic.exceptions import RequestTimeout
from sanic.http import Stage
from sanic.server.protocols.http_protocol import HttpProtocol

logger = logging.getLogger(__name__)

# 64 kB (the body limit) in 15 s is 4 kB/s: slower than any phone on a bad mobile network
REQUEST_DEADLINE = 15.0
_MARK = "_klbot_deadline"
# when each connection's current request began (Sanic's protocols have __slots__: no
# attribute of our own on them); removed when the connection is lost
_started: dict = {}


def _receiving(protocol: HttpProtocol) -> bool:
    """Is the connection still receiving a request (its headers, or a body being read)?"""
    http = getattr(protocol, "_http", None)
    if http is None:
        return False
    stage = getattr(http, "stage", None)
    if stage is Stage.REQUEST:
        return True  # the headers (``upgrade_websocket`` is not even set yet)
    if getattr(http, "upgrade_websocket", False):
        return False
    return stage is Stage.HANDLER and bool(getattr(http, "request_body", None))


def deadline_now() -> float:
    return float(getattr(HttpProtocol, _MARK, None) or REQUEST_DEADLINE)


def _expire(protocol: HttpProtocol, started: float) -> None:
    """The deadline of the request that began at ``started``: close the connection if that
    request is still arriving."""
    try:
        if _started.get(id(protocol)) != started:
            return  # the connection is gone, or serves a later request
        task = getattr(protocol, "_task", None)
        if task is None or not _receiving(protocol):
            return
        logger.info("Request not received within %.0f s; connection closed", deadline_now())
        protocol._http.exception = RequestTimeout("Request Timeout")
        task.cancel()
    except Exception as exc:  # noqa: BLE001 - never break the server's loop
        logger.debug("Request deadline check failed (%s)", type(exc).__name__)


def install(deadline: float = REQUEST_DEADLINE) -> None:
    """Patch Sanic's HTTP protocol (idempotent; ``deadline`` may be changed again)."""
    if getattr(HttpProtocol, _MARK, None) is not None:
        setattr(HttpProtocol, _MARK, deadline)
        return
    original_received = HttpProtocol.data_received
    original_lost = HttpProtocol.connection_lost

    def data_received(self: HttpProtocol, data: bytes) -> None:
        try:
            http = getattr(self, "_http", None)
            if http is not None and (http.stage is Stage.IDLE or id(self) not in _started):
                started = monotonic()  # the first byte of a request
                _started[id(self)] = started
                self.loop.call_later(deadline_now() + 0.05, _expire, self, started)
        except Exception as exc:  # noqa: BLE001 - never lose the bytes
            logger.debug("Request deadline not set (%s)", type(exc).__name__)
        original_received(self, data)

    def connection_lost(self: HttpProtocol, exc: object) -> None:
        _started.pop(id(self), None)
        original_lost(self, exc)

    HttpProtocol.data_received = data_received  # type: ignore[method-assign]
    HttpProtocol.connection_lost = connection_lost  # type: ignore[method-assign]
    setattr(HttpProtocol, _MARK, deadline)
