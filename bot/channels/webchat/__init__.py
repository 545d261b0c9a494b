"""The website's chat page, served by the Rasa server itself (no CDN, no separate web server).

``WebChatInput`` (name ``webchat``) is an input channel only for its blueprint: the page at
``/webhooks/webchat/``, its static assets under ``/webhooks/webchat/static/``, the privacy
policy at ``/webhooks/webchat/personvern`` (HTML) and ``/webhooks/webchat/personvern.txt``,
and the widget for other sites: ``/webhooks/webchat/widget.js`` (one ``<script>`` line; see
docs/WIDGET.md) with ``/webhooks/webchat/allowed`` (may this page's origin open the chat?)
and ``/webhooks/webchat/frame`` (the widget's panel: an iframe on this server's origin, so
that the conversation's storage is out of the host site's reach; only the allowed origin
named in its ``origin`` parameter may embed it). The page and the widget's frame share one
chat core (``static/chat-core.js``) and talk to the socket.io channel
(``bot.channels.socketio``); neither sends a message itself, so this channel needs no
message handler.
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


# the widget's frame: its own texts, in the widget's language (data-lang)
FRAME_TEXTS = {
    "nb": {
        "TITLE": "Personvernassistent",
        "RESET": "Ny samtale",
        "RESET_HELP": "Sletter samtalen fra denne nettleseren og starter en ny.",
        "CLOSE": "Lukk chatten",
        "PRIVACY_LABEL": "Personvern",
        "PRIVACY_TITLE": "Personvern:",
        "PRIVACY": (
            "Samtalen lagres hos KL Miljøvarme i inntil {days} dager, slik at vi kan svare deg "
            "og følge opp det du ber om, og i denne nettleseren til du trykker «Ny samtale». "
            "Ikke skriv helseopplysninger eller andre sensitive opplysninger her."
        ),
        "POLICY": "Les personvernerklæringen",
        "LOG_LABEL": "Samtale med personvernassistenten",
        "INPUT_LABEL": "Skriv en melding til assistenten",
        "PLACEHOLDER": "Skriv spørsmålet ditt …",
        "SEND": "Send",
    },
    "en": {
        "TITLE": "Privacy assistant",
        "RESET": "New conversation",
        "RESET_HELP": "Deletes the conversation from this browser and starts a new one.",
        "CLOSE": "Close the chat",
        "PRIVACY_LABEL": "Privacy",
        "PRIVACY_TITLE": "Privacy:",
        "PRIVACY": (
            "KL Miljøvarme keeps the conversation for up to {days} days so that we can answer "
            "you and follow up what you ask for, and this browser keeps it until you press "
            "«New conversation». Do not write health data or other sensitive data here."
        ),
        "POLICY": "Read the privacy policy (Norwegian)",
        "LOG_LABEL": "Conversation with the privacy assistant",
        "INPUT_LABEL": "Write a message to the assistant",
        "PLACEHOLDER": "Write your question …",
        "SEND": "Send",
    },
}
MAX_GREETING = 500


def frame_csp(parent_origin: str) -> str:
    """The frame's policy: like the page's, but embeddable by the one allowed host origin."""
    return SECURITY_HEADERS["Content-Security-Policy"].replace(
        "frame-ancestors 'none'", f"frame-ancestors {parent_origin}"
    )


NUMBERED = re.compile(r"^\d+\.\s+")
# an origin as a browser sends it: scheme://host[:port], nothing else (it goes into a header)
ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)


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

    def frame_html(
        self,
        base: str,
        parent_origin: str,
        lang: str,
        greeting: str = "",
        template: Optional[str] = None,
    ) -> str:
        """The widget's panel, for an iframe on a page of ``parent_origin``."""
        lang = "en" if lang == "en" else "nb"
        values = dict(FRAME_TEXTS[lang])
        values["PRIVACY"] = values["PRIVACY"].format(days=self.settings.conversation_retention_days)
        values.update(
            {
                "BASE": base,
                "LANG": lang,
                "SOCKET_PATH": self.socketio_path,
                "IDLE_MINUTES": str(self.idle_minutes),
                "PARENT_ORIGIN": parent_origin,
                "GREETING": greeting[:MAX_GREETING],
                "POLICY_HREF": base + "/personvern",
            }
        )
        page = template or (HERE / "frame.html").read_text(encoding="utf-8")
        for key, value in values.items():
            page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
        return page

    def widget_js(self, base: str) -> str:
        """The widget as one script: everything in a closure, so that the host page gets no
        global but ``KLBotWidget``. It holds only the chat button and the frame: the chat
        (socket.io client, chat core, transcript) runs in the frame, on this origin."""
        server = {"base": base}
        css = (WIDGET_DIR / "widget.css").read_text(encoding="utf-8")
        return "\n".join(
            [
                "/* KL Miljøvarme personvernassistent: chat widget */",
                "(function () {",
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
        frame_template = (HERE / "frame.html").read_text(encoding="utf-8")
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

        @webchat.route("/frame", methods=["GET"])
        async def frame(request: Request) -> HTTPResponse:
            """The widget's panel. Only for a page of an allowed origin, which alone may embed
            it (``frame-ancestors``) and alone gets its messages (postMessage's target)."""
            parent = (request.args.get("origin") or "").rstrip("/")
            headers = dict(SECURITY_HEADERS)
            headers["Cache-Control"] = "no-store"
            if not ORIGIN.fullmatch(parent) or not origin_allowed(
                parent, {"sanic.request": request}, self.settings
            ):
                return response.text("Not allowed", status=403, headers=headers)
            headers["Content-Security-Policy"] = frame_csp(parent)
            page = self.frame_html(
                base_of(request, "/frame"),
                parent,
                request.args.get("lang") or "nb",
                request.args.get("greeting") or "",
                frame_template,
            )
            return response.html(page, headers=headers)

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
