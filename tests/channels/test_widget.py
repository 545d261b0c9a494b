"""The widget's parts that need no browser: who may open the chat, the bundle, the demo site."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest

from bot.channels.origins import DEMO_ORIGINS, allowed_origins, origin_allowed
from bot.channels.webchat import STATIC_DIR, WebChatInput
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
    assert "sourceMappingURL" not in js
    # the socket.io client exports to the closure's `module`, not to window.io
    assert "var module = { exports: {} }" in js and "var io = module.exports;" in js
    assert (STATIC_DIR / "chat-core.js").read_text(encoding="utf-8") in js, "one chat core"
    globals_set = set(re.findall(r"window\.([A-Za-z_$][\w$]*)\s*=(?!=)", js))
    assert globals_set == {"KLBotWidget"}, globals_set
    assert "innerHTML" not in js.split("var KLBOT_SERVER")[1], "no HTML from strings"
    assert '"retentionDays": ' in js and '"socketPath": "/socket.io"' in js


def test_the_page_and_the_widget_share_the_chat_core():
    page = (STATIC_DIR.parent / "page.html").read_text(encoding="utf-8")
    assert page.index("static/chat-core.js") < page.index("static/chat.js")
    chat = (STATIC_DIR / "chat.js").read_text(encoding="utf-8")
    assert "KLBotChatCore.start(" in chat and "socket.emit" not in chat


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
        assert f"connect-src 'self' {assistant} ws://127.0.0.1:5005" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert httpx.get(base + "/", timeout=10).status_code == 200
        for missing in ("/../demo.py", "/nope.html", "/%2e%2e/demo.py"):
            assert httpx.get(base + missing, timeout=10).status_code == 404, missing
    finally:
        server.shutdown()
        server.server_close()
    assert host_csp("https://assistant.example").count("wss://assistant.example") == 1
