"""The widget's parts that need no browser: who may open the chat, the bundle, the demo site."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest

from bot.channels.origins import DEMO_ORIGINS, allowed_origins, origin_allowed
from bot.channels.webchat import STATIC_DIR, WebChatInput, frame_csp
from bot.channels.webchat.demo import host_csp, make_server, serve_in_thread
from bot.config import load_settings
from tests.support.servers import free_port

SITE = "https://www.miljovarme.example"


@pytest.fixture
def settings_for(monkeypatch):
    def make(**env: str):
        for name in ("KLBOT_ENV", "KLBOT_PUBLIC_URL", "KLBOT_WEB_ORIGINS"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return load_settings()

    return make


def test_allowed_origins_are_the_public_urls_and_the_listed_ones(settings_for):
    settings = settings_for(
        KLBOT_ENV="production",
        KLBOT_PUBLIC_URL="https://assistant.example/",
        KLBOT_WEB_ORIGINS=f"{SITE}, https://miljovarme.example/",
    )
    assert allowed_origins(settings) == [
        "https://assistant.example",
        SITE,
        "https://miljovarme.example",
    ]


def test_the_demo_site_is_allowed_in_development_only(settings_for):
    development = allowed_origins(settings_for(KLBOT_ENV="development"))
    production = allowed_origins(settings_for(KLBOT_ENV="production"))
    for demo in DEMO_ORIGINS:
        assert demo in development
        assert demo not in production


def request_on_port(port: int, host: str = "assistant.example") -> dict:
    """The environ python-engineio hands over: the Sanic request it came with."""
    request = SimpleNamespace(conn_info=SimpleNamespace(server_port=port), host=host)
    return {"sanic.request": request, "HTTP_HOST": host}


def test_other_origins_are_refused(settings_for):
    settings = settings_for(
        KLBOT_ENV="production", KLBOT_PUBLIC_URL="https://assistant.example", KLBOT_WEB_ORIGINS=SITE
    )
    environ = request_on_port(5005, host="localhost:5005")
    assert origin_allowed("https://assistant.example", environ, settings)
    assert origin_allowed(SITE, environ, settings)
    assert origin_allowed(SITE + "/", environ, settings)
    for evil in (
        "https://evil.example",
        "http://www.miljovarme.example",  # another scheme is another origin
        "https://www.miljovarme.example:8443",
        "https://www.miljovarme.example.evil.example",
        "null",  # a sandboxed frame or a file:// page
        "http://localhost:5080",  # the demo site, outside development
        "http://localhost:5005",  # this server's own port on loopback, outside development
        "https://assistant.example.evil.example",
        "http://assistant.example",
    ):
        assert not origin_allowed(evil, environ, settings), evil
    # no Origin: not a browser page (curl, the test clients); nothing to decide
    assert origin_allowed(None, environ, settings)


def test_in_development_the_servers_own_page_on_loopback_is_allowed(settings_for):
    settings = settings_for(KLBOT_ENV="development", KLBOT_PUBLIC_URL="https://assistant.example")
    environ = request_on_port(5005, host="localhost:5005")
    assert origin_allowed("http://localhost:5005", environ, settings)
    assert origin_allowed("http://127.0.0.1:5005", environ, settings)
    # another port on loopback is another site, whatever the Host header says
    assert not origin_allowed("http://localhost:8000", environ, settings)
    assert not origin_allowed("http://localhost:8000", request_on_port(5005, "localhost:8000"))
    assert not origin_allowed("http://192.168.1.20:5005", environ, settings)


def test_the_widget_bundle_keeps_to_itself():
    js = WebChatInput().widget_js("/webhooks/webchat")
    assert js.startswith("/* KL Miljøvarme") and js.rstrip().endswith("})();")
    # the chat is in the frame: no socket.io client, no chat core, no storage of the site's
    assert "Socket.IO" not in js and "KLBotChatCore" not in js
    assert "localStorage" not in js, "nothing of the conversation in the site's storage"
    assert "/frame?" in js and "postMessage(message, origin)" in js
    globals_set = set(re.findall(r"window\.([A-Za-z_$][\w$]*)\s*=(?!=)", js))
    assert globals_set == {"KLBotWidget"}, globals_set
    assert "innerHTML" not in js, "no HTML from strings"
    assert "'*'" not in js and '"*"' not in js, "no message to any origin"


def test_the_page_and_the_widgets_frame_share_the_chat_core():
    page = (STATIC_DIR.parent / "page.html").read_text(encoding="utf-8")
    assert page.index("static/chat-core.js") < page.index("static/chat.js")
    frame = (STATIC_DIR.parent / "frame.html").read_text(encoding="utf-8")
    assert frame.index("static/chat-core.js") < frame.index("static/frame.js")
    for script in ("chat.js", "frame.js"):
        code = (STATIC_DIR / script).read_text(encoding="utf-8")
        assert "KLBotChatCore.start(" in code and "socket.emit" not in code
    frame_js = (STATIC_DIR / "frame.js").read_text(encoding="utf-8")
    assert "postMessage({ klbot: type }, parentOrigin)" in frame_js
    assert "event.origin !== parentOrigin" in frame_js


def test_the_frame_page_names_its_one_host_and_escapes_what_it_is_given():
    channel = WebChatInput()
    page = channel.frame_html(
        "/webhooks/webchat", SITE, "en", greeting='"><script>alert(1)</script>'
    )
    assert f'data-parent-origin="{SITE}"' in page and 'lang="en"' in page
    assert "<script>alert" not in page and "&quot;&gt;&lt;script&gt;" in page
    assert "Privacy assistant" in page and "90 days" in page
    assert 'lang="nb"' in channel.frame_html("/webhooks/webchat", SITE, "xx")
    csp = frame_csp(SITE)
    assert f"frame-ancestors {SITE}" in csp and "'none'; script-src 'self'" in csp
    assert "frame-ancestors 'none'" not in csp


def test_the_demo_site_serves_its_pages_with_the_recommended_csp():
    port = free_port()
    assistant = "http://127.0.0.1:5005"
    server = make_server("127.0.0.1", port, assistant)
    serve_in_thread(server)
    try:
        base = f"http://127.0.0.1:{port}"
        for page, other in (("index.html", "kundeservice.html"), ("kundeservice.html", "index")):
            response = httpx.get(f"{base}/{page}", timeout=10)
            assert response.status_code == 200
            line = f'<script src="{assistant}/webhooks/webchat/widget.js" defer></script>'
            assert line in response.text
            assert f'href="{other}' in response.text, "the two pages link to each other"
            assert response.headers["content-security-policy"] == host_csp(assistant)
        csp = host_csp(assistant)
        assert f"script-src 'self' {assistant}" in csp
        assert f"connect-src 'self' {assistant};" in csp and "ws:" not in csp
        assert f"frame-src {assistant};" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert httpx.get(base + "/", timeout=10).status_code == 200
        for missing in ("/../demo.py", "/nope.html", "/%2e%2e/demo.py"):
            assert httpx.get(base + missing, timeout=10).status_code == 404, missing
    finally:
        server.shutdown()
        server.server_close()
    assert "wss:" not in host_csp("https://assistant.example"), "the frame connects, not the page"
