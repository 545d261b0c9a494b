"""A local fake of Twilio's REST API (``Messages.json``): records each message it is sent,
answers with the statuses a test queues (then 201), optionally after a delay."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List
from urllib.parse import parse_qs


class FakeTwilio:
    """Twilio's ``Messages.json`` endpoint: records each form; fails as told."""

    def __init__(self) -> None:
        self.received: List[dict] = []
        self.statuses: List[int] = []  # answers to give, in order (then 201)
        self.delay = 0.0  # seconds before each answer (a slow provider)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server)
                time.sleep(fake.delay)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.received.append({"path": self.path, "auth": self.headers["Authorization"]})
                fake.received[-1].update(form)
                status = fake.statuses.pop(0) if fake.statuses else 201
                body = json.dumps({"sid": "SM123", "status": "queued"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
