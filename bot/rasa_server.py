"""Start the Rasa server the safe way: ``python -m bot.rasa_server [rasa run options]``.

``rasa run`` itself would do what its flags say, and the easy flags are the unsafe ones
(``--enable-api`` without ``--auth-token`` on all interfaces). This wrapper decides from the
settings (environment or ``.env``, see ``bot.config``) and then runs Rasa's own CLI in this
process:

- Rasa's HTTP API (``/model``, ``/conversations``, ``/status``, ``/domain``, ...) is on only
  when ``KLBOT_API_TOKEN`` is set, and then only with that token (``?token=...``);
- the server listens on ``KLBOT_HOST`` (default 127.0.0.1);
- the action endpoint sends ``Authorization: Bearer ${KLBOT_ACTION_TOKEN}``: the endpoints
  file is rendered to a temporary copy that names the variable, never the secret (Rasa
  expands ``${...}`` when it reads the file), so the secret is neither on disk nor on the
  command line (``ps`` shows a process's arguments to every local user);
- Sanic's request size limit is ``MAX_BODY_BYTES`` on every route, websockets included.

Outside development (``KLBOT_ENV``) it refuses to start without ``KLBOT_ACTION_TOKEN``.
``--shell`` runs ``rasa shell`` with the same endpoints instead.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from bot.action_server import START_REFUSED
from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # the same as bot.channels.body_check (imported late: Rasa)
TOKEN_HEADER = "Bearer ${KLBOT_ACTION_TOKEN}"  # noqa: S105 - names the variable
OWNED_FLAGS = {"--enable-api", "--auth-token", "-i", "--interface", "--jwt-secret"}


def render_endpoints(source: Path, action_url: Optional[str], with_token: bool) -> Path:
    """A temporary copy of ``source`` whose action endpoint sends the token header."""
    data: Dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    endpoint = data.get("action_endpoint")
    if action_url:
        endpoint = data["action_endpoint"] = dict(endpoint or {}, url=action_url)
    if isinstance(endpoint, dict) and with_token:
        headers = dict(endpoint.get("headers") or {})
        headers["Authorization"] = TOKEN_HEADER
        endpoint["headers"] = headers
    handle, name = tempfile.mkstemp(prefix="klbot-endpoints-", suffix=".yml")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(f"# rendered by bot.rasa_server from {source}\n")
        yaml.safe_dump(data, out, sort_keys=False)
    atexit.register(lambda: Path(name).unlink(missing_ok=True))
    return Path(name)


def rasa_argv(
    settings: Settings, args: argparse.Namespace, endpoints: Path, extra: List[str]
) -> List[str]:
    """The ``rasa`` command line this wrapper runs (without any secret in it)."""
    if args.shell:
        return ["rasa", "shell", "--model", args.model, "--endpoints", str(endpoints), *extra]
    argv = ["rasa", "run", "--interface", args.host or settings.host, "--port", str(args.port)]
    argv += ["--model", args.model, "--credentials", args.credentials]
    argv += ["--endpoints", str(endpoints)]
    if settings.api_token:
        argv += ["--enable-api"]  # the token is added in process only: see main()
    return argv + extra


def parse_args(argv: Optional[List[str]]) -> Tuple[argparse.Namespace, List[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-p", "--port", type=int, default=5005)
    parser.add_argument("--host", default=None, help="interface (default KLBOT_HOST)")
    parser.add_argument("-m", "--model", default="models/klbot.tar.gz")
    parser.add_argument("--credentials", default="credentials.yml")
    parser.add_argument("--endpoints", default="endpoints.yml")
    parser.add_argument("--action-url", default=None, help="the action server's webhook URL")
    parser.add_argument("--shell", action="store_true", help="rasa shell instead of rasa run")
    args, extra = parser.parse_known_args(argv)
    owned = [a for a in extra if a.split("=")[0] in OWNED_FLAGS]
    if owned:
        parser.error(
            f"{', '.join(owned)}: decided by the settings (KLBOT_API_TOKEN, KLBOT_HOST); "
            "see docs/SECURITY.md"
        )
    return args, extra


def main(argv: Optional[List[str]] = None) -> None:
    args, extra = parse_args(argv)
    settings = get_settings()
    if not settings.action_token and not settings.is_development:
        sys.exit(START_REFUSED)
    if settings.action_token:
        os.environ["KLBOT_ACTION_TOKEN"] = settings.action_token  # from .env too
    for name in ("SANIC_REQUEST_MAX_SIZE", "SANIC_WEBSOCKET_MAX_SIZE"):
        os.environ[name] = str(MAX_BODY_BYTES)
    endpoints = render_endpoints(
        Path(args.endpoints), args.action_url, with_token=bool(settings.action_token)
    )
    argv_run = rasa_argv(settings, args, endpoints, extra)
    if settings.api_token and not args.shell:
        argv_run += ["--auth-token", settings.api_token]
    elif not args.shell:
        print(  # noqa: T201 - the operator's console
            "Rasa's HTTP API is off (set KLBOT_API_TOKEN to turn it on with that token).",
            flush=True,
        )
    if not args.shell:
        # the register learns which tracker store this server uses: an erasure run by klbot
        # with another one refuses instead of clearing the wrong store
        from bot.register import service_stores

        service_stores.record(service_stores.TRACKER, settings.tracker_store_url)
    from rasa.__main__ import main as rasa_main

    sys.argv = argv_run
    rasa_main()


if __name__ == "__main__":
    main()
