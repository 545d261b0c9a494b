"""The action server, open only to the Rasa server: ``python -m bot.action_server``.

rasa-sdk's server (``rasa run actions``) runs any action for anyone who can reach its port:
a posted tracker with ``verified: true`` would be believed. This entry point serves the same
rasa-sdk app (``rasa_sdk.endpoint.create_app``) with three changes:

- every route except ``GET /health`` needs ``Authorization: Bearer <KLBOT_ACTION_TOKEN>``
  (compared in constant time), checked before any action runs; 401 otherwise. The Rasa
  server sends it from its endpoints file (``action_endpoint.headers``, see
  ``bot.rasa_server``);
- a body larger than ``MAX_BODY_BYTES`` is refused (413) before it is read;
- it listens on ``--host`` (default ``KLBOT_HOST``, 127.0.0.1), not on all interfaces.

Without ``KLBOT_ACTION_TOKEN`` it refuses to start, except in development
(``KLBOT_ENV=development``), where it warns and listens on 127.0.0.1 only. ``make run``
always sets a token (a fresh one per run when none is configured): see ``--print-token``.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
from typing import List, Optional

from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.support import secrets_equal
from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)

DEFAULT_PORT = 5055
# Rasa posts the whole conversation with every action call; a long one is some hundred kB.
MAX_BODY_BYTES = 1024 * 1024
OPEN_PATHS = {"/health"}
LOOPBACK = "127.0.0.1"

START_REFUSED = (
    "KLBOT_ACTION_TOKEN is not set. Outside development the action server does not start "
    "without it: set the same random secret (e.g. `python -c 'import secrets; "
    "print(secrets.token_urlsafe(32))'`) for the action server and every Rasa server."
)


def bearer_token(request: Request) -> Optional[str]:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_token(app: Sanic, token: str) -> None:
    """Refuse every request without the token (except the health check), before any action."""

    async def check_token(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS and request.method in {"GET", "HEAD"}:
            return None
        if secrets_equal(bearer_token(request), token):
            return None
        return response.json(
            {"error": "Unauthorized: the action server runs actions only for the Rasa server"},
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    # first, before CORS or anything else registered on the app
    app.request_middleware.appendleft(check_token)


def create_app(actions: str, token: Optional[str]) -> Sanic:
    from rasa_sdk.endpoint import create_app as create_sdk_app
    from rasa_sdk.plugin import plugin_manager

    app = create_sdk_app(actions, cors_origins=None)  # no CORS: browsers have no business here
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES

    @app.exception(PayloadTooLarge)  # rasa-sdk's catch-all would make it a 500
    async def too_large(_request: Request, _exception: Exception) -> HTTPResponse:
        return response.json({"error": f"the body is larger than {MAX_BODY_BYTES} bytes"}, 413)

    if token:
        require_token(app, token)
    return app


def run_token(settings: Settings) -> str:
    """The token for this run: the configured one, or in development a fresh one."""
    if settings.action_token:
        return settings.action_token
    if not settings.is_development:
        raise SystemExit(START_REFUSED)
    return secrets.token_urlsafe(32)


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", default="actions", help="the package of custom actions")
    parser.add_argument("-p", "--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--host", default=None, help="interface to listen on (KLBOT_HOST)")
    parser.add_argument(
        "--print-token",
        action="store_true",
        help="print the token for this run (KLBOT_ACTION_TOKEN, or a fresh one in "
        "development) and exit; scripts/run.sh hands it to both servers",
    )
    parser.add_argument("--loglevel", default="INFO")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    settings = get_settings()
    if args.print_token:
        print(run_token(settings))  # noqa: T201 - read by scripts/run.sh, never logged
        return
    from rasa_sdk import utils

    utils.configure_colored_logging(args.loglevel)
    utils.update_sanic_log_level()
    host = args.host or settings.host
    token = settings.action_token
    if not token:
        if not settings.is_development:
            logger.error(START_REFUSED)
            sys.exit(2)
        logger.warning(
            "KLBOT_ACTION_TOKEN is not set: the action server runs actions for any caller. "
            "Development only; it listens on %s.",
            LOOPBACK,
        )
        host = LOOPBACK
    app = create_app(args.actions, token)
    required = "required" if token else "NOT required"
    logger.info("Action server on http://%s:%s (token %s)", host, args.port, required)
    app.run(host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
