"""`klbot dev`: what a developer uses to try SMS and Telegram by hand is what the tests use.

``dev sms`` must sign exactly as Twilio does: a local receiver checks the request with
Twilio's own ``RequestValidator`` over ``KLBOT_PUBLIC_URL`` + path (a wrong signer fails).
``dev telegram-send`` must carry the webhook secret; ``dev telegram`` prints what a bot sends.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
from twilio.request_validator import RequestValidator

KLBOT = str(Path(sys.executable).parent / "klbot")
PUBLIC_URL = "https://chat.miljovarme.example"
TOKEN = "dev-twilio-token-0123456789"  # noqa: S105 - test credential
SECRET = "dev-telegram-secret-0123456789"  # noqa: S105


class Receiver:
    """A local server that records one POST and answers with ``reply``."""

    def __init__(self, reply: bytes, content_type: str) -> None:
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run(*args, **env):
    full = {**os.environ, "KLBOT_PUBLIC_URL": PUBLIC_URL, **env}
    return subprocess.run(  # noqa: S603
        [KLBOT, "dev", *args], env=full, capture_output=True, text=True, timeout=60
    )


def test_dev_sms_is_signed_as_twilio_signs_and_prints_the_replies():
    twiml = b"<?xml version='1.0'?><Response><Message>Du er meldt av.</Message></Response>"
    receiver = Receiver(twiml, "text/xml")
    try:
        out = run("sms", "--from", "+4791234567", "--url", receiver.url, "STOPP",
                  TWILIO_AUTH_TOKEN=TOKEN)  # fmt: skip
    finally:
        receiver.close()
    assert out.returncode == 0, out.stderr
    assert "← Du er meldt av." in out.stdout
    path, headers, body = receiver.requests[0]
    assert path == "/webhooks/twilio_sms/webhook"
    form = dict(parse_qsl(body.decode(), keep_blank_values=True))
    assert form["Body"] == "STOPP" and form["From"] == "+4791234567"
    signature = headers["X-Twilio-Signature"]
    assert RequestValidator(TOKEN).validate(PUBLIC_URL + path, form, signature)
    assert not RequestValidator("another-token").validate(PUBLIC_URL + path, form, signature)


def test_dev_sms_without_a_token_says_how_to_turn_sms_on():
    out = run("sms", "STOPP", TWILIO_AUTH_TOKEN="")
    assert out.returncode == 2 and "TWILIO_AUTH_TOKEN" in out.stderr
    assert "Traceback" not in out.stderr


def test_dev_sms_with_no_assistant_running_says_so():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = run("sms", "--url", f"http://127.0.0.1:{port}", "hei", TWILIO_AUTH_TOKEN=TOKEN)
    assert out.returncode == 2 and "make run" in out.stderr and "Traceback" not in out.stderr


def test_dev_telegram_send_posts_an_update_with_the_secret():
    receiver = Receiver(b"", "text/plain")
    try:
        out = run("telegram-send", "--chat", "4242", "--url", receiver.url, "hei",
                  TELEGRAM_BOT_TOKEN="1:x", TELEGRAM_WEBHOOK_SECRET=SECRET)  # noqa: S106  # fmt: skip
    finally:
        receiver.close()
    assert out.returncode == 0, out.stderr
    path, headers, body = receiver.requests[0]
    assert path == "/webhooks/telegram/webhook"
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    update = json.loads(body)
    assert update["message"]["text"] == "hei" and update["message"]["chat"]["id"] == 4242


@pytest.mark.timeout(60)
def test_dev_telegram_prints_what_the_bot_sends():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fake = subprocess.Popen(  # noqa: S603
        [KLBOT, "dev", "telegram", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = f"http://127.0.0.1:{port}/bot1:x/sendMessage"
        for _ in range(100):
            try:
                answer = httpx.post(url, json={"chat_id": 4242, "text": "Hei fra boten"})
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert answer.json()["ok"] is True
        assert answer.json()["result"]["text"] == "Hei fra boten"
    finally:
        fake.terminate()
        output, _ = fake.communicate(timeout=10)
    assert "→ chat 4242: Hei fra boten" in output, output
