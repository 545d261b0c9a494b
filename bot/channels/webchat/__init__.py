"""The website's chat page, served by the Rasa server itself (no CDN, no separate web server).

``WebChatInput`` (name ``webchat``) is an input channel only for its blueprint: the page at
``/webhooks/webchat/``, its static assets under ``/webhooks/webchat/static/``, the privacy
policy at ``/webhooks/webchat/personvern`` (HTML) and ``/webhooks/webchat/personvern.txt``,
and the widget for other sites: ``/webhooks/webchat/widget.js`` (one ``<script>`` line; see
docs/WIDGET.md) with ``/webhooks/webchat/allowed`` (may this page's origin open the chat?).
The page and the widget share one chat core (``static/chat-core.js``) and talk to the
socket.io channel (``bot.channels.socketio``); neither sends a message itself, so this
channel needs no message handler.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.origins import origin_allowed
from bot.config import load_settings
from bot.policy import COMPANY_EMAIL, COMPANY_PHONE, policy_text

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
WIDGET_DIR = HERE / "widget"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# Everything the page needs comes from this server; no inline script, no third party.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


NUMBERED = re.compile(r"^\d+\.\s+")
SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)


def _static_files() -> Dict[str, bytes]:
    """The assets, read once at startup (small; no file I/O on the event loop per request)."""
    return {
        p.name: p.read_bytes()
        for p in STATIC_DIR.iterdir()
        if p.is_file() and p.suffix in CONTENT_TYPES
    }


def policy_html(back_href: str, template: Optional[str] = None, text: Optional[str] = None) -> str:
    """The policy text as a readable HTML page (headings are the lines ending in '?')."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text or policy_text()) if b.strip()]
    body = []
    for block in blocks:
        lines = [html.escape(line.strip()) for line in block.splitlines() if line.strip()]
        if len(lines) == 1 and (lines[0].endswith("?") or len(lines[0]) < 40):
            body.append(f"<h2>{lines[0]}</h2>")
        elif all(NUMBERED.match(line) for line in lines):
            items = "".join(f"<li>{NUMBERED.sub('', line)}</li>" for line in lines)
            body.append(f"<ol>{items}</ol>")
        else:
            body.append("<p>" + "<br>".join(lines) + "</p>")
    template = template or (HERE / "policy.html").read_text(encoding="utf-8")
    return template.replace("{{BODY}}", "\n".join(body)).replace(
        "{{BACK}}", html.escape(back_href, quote=True)
    )


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            idle_minutes=int(credentials.get("idle_minutes", 60)),
        )

    def __init__(self, socketio_path: str = "/socket.io", idle_minutes: int = 60) -> None:
        self.socketio_path = socketio_path
        self.idle_minutes = idle_minutes
        self.settings = load_settings()

    def page_html(self, base: str, template: Optional[str] = None) -> str:
        settings = self.settings
        values = {
            "BASE": base,
            "SOCKET_PATH": self.socketio_path,
            "IDLE_MINUTES": str(self.idle_minutes),
            "RETENTION_DAYS": str(settings.conversation_retention_days),
            "COMPANY_PHONE": COMPANY_PHONE,
            "COMPANY_EMAIL": COMPANY_EMAIL,
        }
        page = template or (HERE / "page.html").read_text(encoding="utf-8")
        for key, value in values.items():
            page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
        return page

    def widget_js(self, base: str) -> str:
        """The widget as one script: everything in a closure, so that the host page gets no
        global but ``KLBotWidget`` (the socket.io client's UMD sees ``module`` and exports to
        it instead of setting ``window.io``)."""
        server = {
            "base": base,
            "socketPath": self.socketio_path,
            "idleMinutes": self.idle_minutes,
            "retentionDays": self.settings.conversation_retention_days,
        }
        css = (STATIC_DIR / "chat.css").read_text(encoding="utf-8") + (
            WIDGET_DIR / "widget.css"
        ).read_text(encoding="utf-8")
        socketio_js = SOURCE_MAP.sub("", (STATIC_DIR / "socket.io.min.js").read_text("utf-8"))
        return "\n".join(
            [
                "/* KL Miljøvarme personvernassistent: chat widget. socket.io client: MIT, see",
                f"   {base}/static/socket.io.LICENSE.txt */",
                "(function () {",
                "var module = { exports: {} }, exports = module.exports;",
                socketio_js,
                "var io = module.exports;",
                (STATIC_DIR / "chat-core.js").read_text(encoding="utf-8"),
                f"var KLBOT_SERVER = {json.dumps(server)};",
                f"var KLBOT_CSS = {json.dumps(css)};",
                (WIDGET_DIR / "widget.js").read_text(encoding="utf-8"),
                "})();",
                "",
            ]
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webchat = Blueprint("webchat_page", __name__)
        files = _static_files()
        page_template = (HERE / "page.html").read_text(encoding="utf-8")
        policy_template = (HERE / "policy.html").read_text(encoding="utf-8")
        policy = policy_text()
        widgets: Dict[str, bytes] = {}

        def base_of(request: Request, suffix: str = "") -> str:
            path = request.path
            if suffix and path.endswith(suffix):
                path = path[: -len(suffix)]
            return path.rstrip("/")

        @webchat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            return response.html(
                self.page_html(base_of(request), page_template), headers=SECURITY_HEADERS
            )

        @webchat.route("/personvern", methods=["GET"])
        async def policy_page(request: Request) -> HTTPResponse:
            back = base_of(request, "/personvern") + "/"
            return response.html(
                policy_html(back, policy_template, policy), headers=SECURITY_HEADERS
            )

        @webchat.route("/personvern.txt", methods=["GET"])
        async def policy_txt(_: Request) -> HTTPResponse:
            return response.text(policy, headers=SECURITY_HEADERS)

        @webchat.route("/widget.js", methods=["GET"])
        async def widget(request: Request) -> HTTPResponse:
            base = base_of(request, "/widget.js")
            if base not in widgets:
                plain = self.widget_js(base).encode("utf-8")
                widgets[base] = plain
                widgets[base + ".gz"] = gzip.compress(plain, mtime=0)
            headers = dict(SECURITY_HEADERS)
            headers["Cache-Control"] = "public, max-age=300"
            headers["Vary"] = "Accept-Encoding"
            # a script for other sites' pages (also those that require CORP of what they load)
            headers["Cross-Origin-Resource-Policy"] = "cross-origin"
            body = widgets[base]
            if "gzip" in request.headers.get("accept-encoding", ""):  # on every page of a site
                body = widgets[base + ".gz"]
                headers["Content-Encoding"] = "gzip"
            return response.raw(body, content_type=CONTENT_TYPES[".js"], headers=headers)

        @webchat.route("/allowed", methods=["GET"])
        async def allowed(request: Request) -> HTTPResponse:
            """Lets the widget say politely, in the console, that its site is not allowed.
            The answer is only a courtesy: the socket.io server enforces the same rule."""
            origin = request.headers.get("origin")
            verdict = origin_allowed(origin, {"sanic.request": request}, self.settings)
            headers = dict(SECURITY_HEADERS)
            headers["Cache-Control"] = "no-store"
            headers["Vary"] = "Origin"
            if origin:
                headers["Access-Control-Allow-Origin"] = origin
            return response.json({"allowed": verdict}, headers=headers)

        @webchat.route("/static/<name:str>", methods=["GET"])
        async def static(_: Request, name: str) -> HTTPResponse:
            body = files.get(name)
            if body is None:
                return response.text("Not found", status=404)
            headers = dict(SECURITY_HEADERS)
            headers["Cache-Control"] = "public, max-age=3600"
            content_type = CONTENT_TYPES[Path(name).suffix]
            return response.raw(body, content_type=content_type, headers=headers)

        return webchat
