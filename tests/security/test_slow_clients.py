"""Issue 22: a client trickling its request byte by byte is cut off at a total deadline
for headers and body, on every route (slowloris). Through the real Rasa server: fails if a
trickling connection is still open after the deadline."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlparse

import httpx
import pytest

from bot.channels.deadline import REQUEST_DEADLINE

pytestmark = [pytest.mark.e2e]

SLACK = 6.0  # Sanic checks its timeouts every few seconds


async def trickle(url: str, head: bytes, tail: bytes, every: float = 1.0) -> float:
    """Send ``head`` at once, then ``tail`` one byte per ``every`` s; the seconds until the
    server closed the connection (or the time given up)."""
    parsed = urlparse(url)
    reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
    started = time.monotonic()
    writer.write(head)
    await writer.drain()
    limit = REQUEST_DEADLINE + SLACK + 10
    try:
        for byte in tail:
            if time.monotonic() - started > limit:
                break
            try:
                data = await asyncio.wait_for(reader.read(4096), every)
                # closed, or answered (408/503) before the request was whole: given up on
                if data == b"" or data.startswith(b"HTTP/1.1 "):
                    return time.monotonic() - started
            except asyncio.TimeoutError:
                pass
            writer.write(bytes([byte]))
            await writer.drain()
    except (ConnectionError, OSError):
        return time.monotonic() - started
    finally:
        writer.close()
    return time.monotonic() - started


async def test_trickling_clients_are_cut_off_on_every_route(secure):
    headers_forever = b"X-Slow: " + b"a" * 200
    slow = [
        # headers that never end, on the REST webhook, the SMS webhook, socket.io and a 404
        (b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\n", headers_forever),
        (b"POST /webhooks/twilio_sms/webhook HTTP/1.1\r\nHost: x\r\n", headers_forever),
        (b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n", headers_forever),
        (b"GET /nothing-here HTTP/1.1\r\nHost: x\r\n", headers_forever),
        # a body that never ends
        (
            b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
            b'{"sender": "slow", "message": "' + b"x" * 500,
        ),
    ]
    durations = await asyncio.gather(
        *[trickle(secure.url, head, tail) for head, tail in slow for _ in range(4)]
    )
    labelled = [
        (head.split(b"\r\n")[0].decode(), round(d, 1))
        for (head, _), d in zip([pair for pair in slow for _ in range(4)], durations)
    ]
    assert [x for x in labelled if x[1] > REQUEST_DEADLINE + SLACK] == []
    # cut off by the deadline, not refused at once (a broken server would pass the above)
    assert [x for x in labelled if x[1] < REQUEST_DEADLINE - 3] == []
    # and the server still answers an ordinary client
    response = httpx.post(
        secure.url + "/webhooks/rest/webhook",
        json={"sender": "after-slowloris", "message": "hei"},
        headers={"X-Forwarded-For": "198.51.100.250"},
        timeout=60,
    )
    assert response.status_code == 200
