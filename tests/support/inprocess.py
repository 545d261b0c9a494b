"""Serve a Sanic app in this process, on a real socket, in a background thread.

The fast layer's security tests use it: the real action-server app and the real channel
blueprints answer real HTTP requests without starting Rasa or loading a model, so a
regression in a signature or token check fails in `make test-fast`, not only in the e2e suite.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from typing import Iterator

from sanic import Sanic

from tests.support.servers import free_port


@contextmanager
def serve(app: Sanic) -> Iterator[str]:
    """Yield the base URL of ``app`` listening on 127.0.0.1; stop it afterwards."""
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list = []
    holder: dict = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(
                app.create_server(
                    host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
                )
            )
            loop.run_until_complete(server.startup())
            loop.run_until_complete(server.before_start())
            loop.run_until_complete(server.after_start())
            holder["server"] = server
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(30)
    if failure:
        raise failure[0]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server = holder.get("server")

        async def stop() -> None:
            if server is not None:
                await server.before_stop()
                await server.close()
                await server.after_stop()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
