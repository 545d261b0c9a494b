"""A local stand-in for Telegram's Bot API: records every call, answers like Telegram.

``POST /bot<token>/<method>`` with a form, multipart or JSON body is recorded as
``Call(token, method, params)`` (JSON-encoded values such as ``reply_markup`` decoded) and
answered with ``{"ok": true, "result": ...}`` shaped as the Bot API documents it. The tests
read the calls; ``klbot dev telegram`` prints each one as it comes (``on_call``).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qsl

BOT_ID = 7000000001


@dataclass
class Call:
    token: str
    method: str
    params: Dict[str, Any]


def _decode(value: str) -> Any:
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegram:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        on_call: Optional[Callable[[Call], None]] = None,
    ) -> None:
        self.calls: List[Call] = []
        self.on_call = on_call
        self.lock = threading.Lock()
        self.next_message_id = 1000
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = self.path.strip("/").split("/")
                if len(parts) != 2 or not parts[0].startswith("bot"):
                    self.send_error(404)
                    return
                token, method = parts[0][3:], parts[1]
                params = fake.parse(self.headers.get("Content-Type", ""), body)
                answer = fake.record(token, method, params)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # noqa: N815

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeTelegram:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def parse(content_type: str, body: bytes) -> Dict[str, Any]:
        if not body:
            return {}
        if content_type.startswith("application/json"):
            return json.loads(body)
        if content_type.startswith("multipart/form-data"):
            head = f"Content-Type: {content_type}\r\n\r\n".encode()
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
            out = {}
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                out[name] = _decode(part.get_content().strip())
            return out
        return {k: _decode(v) for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True)}

    def record(self, token: str, method: str, params: Dict[str, Any]) -> Dict[str, Any]:
        call = Call(token, method, params)
        with self.lock:
            self.calls.append(call)
            self.next_message_id += 1
            message_id = self.next_message_id
        if self.on_call is not None:
            self.on_call(call)
        bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "KL Miljøvarme",
            "username": "klbot",
        }
        if method == "getMe":
            return {"ok": True, "result": bot_user}
        if method in ("sendMessage", "sendPhoto"):
            chat_id = int(params.get("chat_id", 0))
            result = {
                "message_id": message_id,
                "from": bot_user,
                "chat": {"id": chat_id, "type": "private", "first_name": "Kunde"},
                "date": int(time.time()),
            }
            if "text" in params:
                result["text"] = params["text"]
            if (
                isinstance(params.get("reply_markup"), dict)
                and "inline_keyboard" in params["reply_markup"]
            ):
                result["reply_markup"] = params["reply_markup"]
            return {"ok": True, "result": result}
        if method == "getWebhookInfo":
            hooks = [c for c in self.snapshot() if c.method in ("setWebhook", "deleteWebhook")]
            url = hooks[-1].params.get("url", "") if hooks else ""
            return {
                "ok": True,
                "result": {"url": url, "has_custom_certificate": False, "pending_update_count": 0},
            }
        # answerCallbackQuery, setWebhook, deleteWebhook, ... all answer True
        return {"ok": True, "result": True}

    # --- helpers for tests ------------------------------------------------------------------

    def snapshot(self) -> List[Call]:
        with self.lock:
            return list(self.calls)

    def calls_to(self, method: str, chat_id: Optional[int] = None) -> List[Call]:
        return [
            c
            for c in self.snapshot()
            if c.method == method
            and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    def wait_for(
        self, method: str, count: int = 1, chat_id: Optional[int] = None, timeout: float = 60
    ) -> List[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method, chat_id)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        return self.calls_to(method, chat_id)
