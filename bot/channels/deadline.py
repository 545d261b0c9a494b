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


def _receiving(protocol: HttpProtocol) -> bool:
    """Is the connection still receiving a request (its headers, or a body being read)?"""
    http = getattr(protocol, "_http", None)
    if http is None or http.upgrade_websocket:
        return False
    if http.stage is Stage.REQUEST:
        return True
    return http.stage is Stage.HANDLER and bool(http.request_body)


def deadline_now() -> float:
    return float(getattr(HttpProtocol, _MARK, None) or REQUEST_DEADLINE)


def install(deadline: float = REQUEST_DEADLINE) -> None:
    if getattr(HttpProtocol, _MARK, None) is not None:
        HttpProtocol._klbot_deadline = deadline  # type: ignore[attr-defined]
        return
    original_received = HttpProtocol.data_received
    original_check = HttpProtocol.check_timeouts

    def data_received(self: HttpProtocol, data: bytes) -> None:
        http = getattr(self, "_http", None)
        if http is not None and (
            http.stage is Stage.IDLE or getattr(self, "_klbot_started", None) is None
        ):
            self._klbot_started = monotonic()  # the first byte of a request
        original_received(self, data)

    def check_timeouts(self: HttpProtocol) -> None:
        started = getattr(self, "_klbot_started", None)
        try:
            late = (
                self._task is not None
                and started is not None
                and _receiving(self)
                and monotonic() - started > HttpProtocol._klbot_deadline  # type: ignore
            )
        except Exception:  # noqa: BLE001 - never break Sanic's own timeout loop
            late = False
        if late:
            logger.info("Request not received within %.0f s; connection closed", deadline_now())
            self._http.exception = RequestTimeout("Request Timeout")
            self._task.cancel()
            return
        original_check(self)

    HttpProtocol.data_received = data_received  # type: ignore[method-assign]
    HttpProtocol.check_timeouts = check_timeouts  # type: ignore[method-assign]
    HttpProtocol._klbot_deadline = deadline  # type: ignore[attr-defined]
