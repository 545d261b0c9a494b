"""The action endpoint's kept session (bot.rasa_speedups): Rasa's request and answer, on one
connection kept alive between calls instead of a new session and connection per action."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot import rasa_speedups

rasa_speedups.install()
RASAS = rasa_speedups.rasa_request


async def serve(handler):
    """A local server on a free port; returns it and the peer ports it saw (its connections)."""
    peers = []

    async def recording(request: web.Request) -> web.StreamResponse:
        peers.append(request.transport.get_extra_info("peername")[1])
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recording)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server, peers


async def echo(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "body": await request.json(),
            "auth": request.headers.get("Authorization"),
            "path": request.path,
            "query": dict(request.query),
        }
    )


def test_it_is_installed_and_rasas_is_kept():
    assert EndpointConfig.request is rasa_speedups._request
    assert RASAS is not None and RASAS is not rasa_speedups._request


def test_the_answer_is_rasas_and_the_connection_is_kept():
    async def run():
        server, peers = await serve(echo)
        try:
            endpoint = EndpointConfig(
                str(server.make_url("/webhook")),
                headers={"Authorization": "Bearer t"},
                params={"a": "1"},
            )
            ours = [await endpoint.request(json={"n": n}, method="post") for n in range(3)]
            rasas = await RASAS(endpoint, json={"n": 0}, method="post")
            return ours, rasas, peers
        finally:
            await server.close()

    ours, rasas, peers = asyncio.run(run())
    assert ours[0] == rasas
    assert ours[0] == {
        "body": {"n": 0},
        "auth": "Bearer t",
        "path": "/webhook",
        "query": {"a": "1"},
    }
    assert [answer["body"]["n"] for answer in ours] == [0, 1, 2]
    assert len(set(peers[:3])) == 1  # our three calls: one connection
    assert peers[3] != peers[0]  # Rasa's own: a new one


def test_an_error_status_raises_rasas_error():
    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"action_name": "x", "error": "no"}, status=400)

    async def run():
        server, _ = await serve(refuse)
        try:
            await EndpointConfig(str(server.make_url("/webhook"))).request(json={})
        finally:
            await server.close()

    with pytest.raises(ClientResponseError) as raised:
        asyncio.run(run())
    assert raised.value.status == 400
    assert b"no" in raised.value.text


def test_a_new_event_loop_gets_a_new_session():
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook")

    async def session():
        return rasa_speedups._pooled_session(endpoint)

    first = asyncio.run(session())
    second = asyncio.run(session())
    assert first is not second


def test_idle_connections_are_closed_by_the_client_before_the_server_closes_them():
    from sanic.config import DEFAULT_CONFIG

    assert rasa_speedups.KEEPALIVE_S < DEFAULT_CONFIG["KEEP_ALIVE_TIMEOUT"]
