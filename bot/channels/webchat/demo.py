"""A stand-in for the company's website, on another origin, with the widget on every page.

``python -m bot.channels.webchat.demo --port 5080 --assistant http://localhost:5005`` (``make
run`` starts it) serves the pages in ``demo_site/``, where ``{{ASSISTANT}}`` becomes the
assistant's address, so the one ``<script>`` line is exactly what the company's site would
carry. It sends the Content-Security-Policy that docs/WIDGET.md recommends, so the demo also
shows that the recommendation is enough. Its origin is allowed by default in development only
(``bot.channels.origins.DEMO_ORIGINS``).
"""

from __future__ import annotations

import argparse
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

from bot.channels.origins import DEMO_PORT

SITE = Path(__file__).resolve().parent / "demo_site"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}


def host_csp(assistant: str) -> str:
    """The policy docs/WIDGET.md recommends to a site that embeds the widget: its script,
    its one question (``/allowed``) and its frame from the assistant; nothing inline."""
    parts = urlsplit(assistant)
    origin = f"{parts.scheme}://{parts.netloc}"
    return (
        f"default-src 'self'; script-src 'self' {origin}; connect-src 'self' {origin}; "
        f"frame-src {origin}; style-src 'self'; img-src 'self' data:; base-uri 'self'; "
        "form-action 'self'"
    )


def make_server(
    host: str, port: int, assistant: str, site: Optional[Path] = None
) -> ThreadingHTTPServer:
    site = site or SITE
    assistant = assistant.rstrip("/")
    files = {
        p.name: p.read_bytes().replace(b"{{ASSISTANT}}", assistant.encode())
        for p in site.iterdir()
        if p.suffix in TYPES
    }
    csp = host_csp(assistant)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            name = urlsplit(self.path).path.lstrip("/") or "index.html"
            body = files.get(name)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", TYPES[Path(name).suffix])
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", csp)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Quiet: `make run` shows the assistant's log, not every page view."""

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEMO_PORT)
    parser.add_argument("--assistant", default="http://localhost:5005")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.assistant)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
