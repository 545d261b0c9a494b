"""Which web origins may open the web chat (the socket.io channel and the widget).

The origins in ``settings.allowed_web_origins`` (``KLBOT_PUBLIC_URL``'s own plus
``KLBOT_WEB_ORIGINS``); in development also the demo site that ``make run`` starts
(``bot.channels.webchat.demo``, another port) and this server's own page on loopback (the
port the connection really came in on, not the one a Host header claims). A browser cannot
forge its ``Origin`` header; clients that send none are not a page on someone's website.

``origin_allowed`` is python-engineio's ``cors_allowed_origins`` callable (engineio checks
long-polling and WebSocket requests alike); the widget's ``/webhooks/webchat/allowed`` asks
the same function, so its polite answer and the socket.io server never disagree.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional

from bot.config import Settings, get_settings

DEMO_PORT = 5080
DEMO_ORIGINS = (f"http://localhost:{DEMO_PORT}", f"http://127.0.0.1:{DEMO_PORT}")


def allowed_origins(settings: Settings) -> List[str]:
    origins = list(settings.allowed_web_origins)
    if settings.is_development:
        origins += [o for o in DEMO_ORIGINS if o not in origins]
    return origins


def origin_allowed(
    origin: Optional[str],
    environ: Optional[Mapping[str, Any]] = None,
    settings: Optional[Settings] = None,
) -> bool:
    """May a browser page of ``origin`` open the chat? (``environ["sanic.request"]`` is the
    request it came with.)"""
    if not origin:
        return True  # not a browser page: nothing to decide here
    settings = settings or get_settings()
    if origin.rstrip("/") in allowed_origins(settings):
        return True
    request = (environ or {}).get("sanic.request")
    conn_info = getattr(request, "conn_info", None)
    if not settings.is_development or conn_info is None:
        return False
    port = conn_info.server_port
    return origin in {f"http://localhost:{port}", f"http://127.0.0.1:{port}"}
