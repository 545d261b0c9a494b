"""Which web origins may open the web chat (the socket.io channel and the widget).

The origins in ``settings.allowed_web_origins`` (``KLBOT_PUBLIC_URL``'s own plus
``KLBOT_WEB_ORIGINS``); in development also the demo site that ``make run`` starts
(``bot.channels.webchat.demo``, another port); and the server's own address, so that the
standalone page it serves itself always works. A browser cannot forge its ``Origin`` header;
other clients send none and are not a browser on someone's website.
"""

from __future__ import annotations

from typing import List, Mapping, Optional

from bot.config import Settings

DEMO_PORT = 5080
DEMO_ORIGINS = (f"http://localhost:{DEMO_PORT}", f"http://127.0.0.1:{DEMO_PORT}")


def allowed_origins(settings: Settings) -> List[str]:
    origins = list(settings.allowed_web_origins)
    if settings.is_development:
        origins += [o for o in DEMO_ORIGINS if o not in origins]
    return origins


def origin_allowed(
    origin: Optional[str], allowed: List[str], scheme: str = "", host: str = ""
) -> bool:
    """May a browser page of ``origin`` open the chat (``scheme``/``host`` of the request)?"""
    if not origin:
        return True  # not a browser page: nothing to decide here
    origin = origin.rstrip("/")
    return origin in allowed or bool(host and origin == f"{scheme}://{host}")


def socketio_origin_check(allowed: List[str]):
    """python-engineio's ``cors_allowed_origins`` callable (it also checks WebSockets)."""

    def check(origin: Optional[str], environ: Optional[Mapping[str, str]] = None) -> bool:
        environ = environ or {}
        return origin_allowed(
            origin, allowed, environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST", "")
        )

    return check
