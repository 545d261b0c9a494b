"""Start the real action server and Rasa server on free ports for end-to-end tests.

`RunningAssistant` owns two subprocesses that share one register database
(``KLBOT_DATABASE_URL``) and the channel settings given in ``env``, started the way
production starts them (docs/SECURITY.md): the action server (``python -m bot.action_server``)
requires ``KLBOT_ACTION_TOKEN``, and the Rasa server (``python -m bot.rasa_server``) opens its
HTTP API only with ``KLBOT_API_TOKEN`` (``api=False`` starts it with the API closed). Both
listen on 127.0.0.1. Nothing is mocked: tests talk to it over HTTP exactly as a client would.

The limits per sender and client address are off unless a test turns them on
(``KLBOT_RATE_LIMITS=on``): every test client shares the address 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# where the servers alert staff (every new ticket queues one alert in the outbox)
STAFF_EMAIL = "personvern@miljovarme.example.com"
MODEL = Path(os.environ.get("KLBOT_TEST_MODEL") or ROOT / "models" / "klbot.tar.gz")


class ExitedEarly(RuntimeError):
    """A server process ended before it answered."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ExitedEarly(f"process for {url} exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback only)
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class RunningAssistant:
    rasa_port: int
    action_port: int
    env: Dict[str, str]
    workdir: Path
    procs: List[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def api_token(self) -> str:
        return self.env.get("KLBOT_API_TOKEN", "")

    @property
    def action_token(self) -> str:
        return self.env.get("KLBOT_ACTION_TOKEN", "")

    def api_url(self, path: str) -> str:
        """The URL of a route of Rasa's HTTP API, with the API token."""
        separator = "&" if "?" in path else "?"
        return f"{self.url}{path}{separator}token={quote(self.api_token)}"

    def say(self, sender: str, text: str, metadata: Optional[dict] = None) -> List[dict]:
        """One turn through the REST channel; returns the bot's messages."""
        body = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        return self.post_json("/webhooks/rest/webhook", body)

    def texts(self, sender: str, text: str) -> List[str]:
        return [m.get("text", "") for m in self.say(sender, text)]

    def post_json(self, path: str, body: dict, timeout: float = 60, api: bool = False) -> dict:
        req = urllib.request.Request(  # noqa: S310
            self.api_url(path) if api else self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return json.loads(resp.read() or b"null")

    def parse(self, text: str) -> dict:
        return self.post_json("/model/parse", {"text": text}, api=True)

    def tracker(self, sender: str) -> dict:
        url = self.api_url(f"/conversations/{sender}/tracker")
        with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310
            return json.loads(r.read())

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.clear()


def start_assistant(
    workdir: Path,
    env_overrides: Optional[Dict[str, str]] = None,
    model: Path = MODEL,
    credentials: Optional[Path] = None,
    endpoints_extra: str = "",
    start_actions: bool = True,
    action_port: Optional[int] = None,
    timeout: float = 240,
    api: bool = True,
    retry_on_early_exit: bool = True,
) -> RunningAssistant:
    """Start both servers; the caller must call ``stop()`` (fixtures do).

    A server that exits during start-up (seen once: a free port taken by another test's
    process between ``free_port()`` and the bind) is started once more on fresh ports; a
    server that cannot start fails both times, with the end of its log in the error.

    With ``start_actions=False`` and an ``action_port``, only a Rasa server is started and
    it uses that (already running) action server: several instances, one action server
    (pass the first one's ``KLBOT_ACTION_TOKEN`` in ``env_overrides``). ``api=False``
    leaves Rasa's HTTP API closed (no ``KLBOT_API_TOKEN``), as ``make run`` does by default.
    """
    if not model.exists():
        raise RuntimeError(f"{model} is missing: run `make train` first")
    if not start_actions and "KLBOT_ACTION_TOKEN" not in (env_overrides or {}):
        raise ValueError("pass the running action server's KLBOT_ACTION_TOKEN in env_overrides")
    workdir.mkdir(parents=True, exist_ok=True)
    rasa_port, action_port = free_port(), action_port or free_port()
    env = dict(os.environ)
    env.setdefault("KLBOT_DATABASE_URL", f"sqlite:///{workdir / 'register.db'}")
    env.setdefault("KLBOT_TRACKER_STORE_URL", f"sqlite:///{workdir / 'conversations.db'}")
    env.setdefault("KLBOT_STAFF_EMAIL", STAFF_EMAIL)
    env.update(
        {
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "KLBOT_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
            "PYTHONUNBUFFERED": "1",
            "KLBOT_HOST": "127.0.0.1",
            "KLBOT_API_TOKEN": secrets.token_urlsafe(24) if api else "",
            "KLBOT_ACTION_TOKEN": secrets.token_urlsafe(24),
            "KLBOT_RATE_LIMITS": "off",
        }
    )
    env.update(env_overrides or {})
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        "tracker_store:\n  type: bot.stores.tracker.ConfiguredTrackerStore\n"
        "lock_store:\n  type: bot.stores.lock.ConfiguredLockStore\n" + endpoints_extra
    )
    subprocess.run(  # noqa: S603
        [str(BIN / "klbot"), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    running = RunningAssistant(rasa_port, action_port, env, workdir)
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    try:
        if start_actions:
            action_log = open(logs / "actions.log", "wb")  # noqa: SIM115
            running.procs.append(
                subprocess.Popen(  # noqa: S603
                    [
                        str(BIN / "python"),
                        "-m",
                        "bot.action_server",
                        "--actions",
                        "actions",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(action_port),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=action_log,
                    stderr=subprocess.STDOUT,
                )
            )
        rasa_log = open(logs / "rasa.log", "wb")  # noqa: SIM115
        running.procs.append(
            subprocess.Popen(  # noqa: S603
                [
                    str(BIN / "python"),
                    "-m",
                    "bot.rasa_server",
                    "--port",
                    str(rasa_port),
                    "--model",
                    str(model),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(credentials or ROOT / "credentials.yml"),
                ],
                cwd=ROOT,
                env=env,
                stdout=rasa_log,
                stderr=subprocess.STDOUT,
            )
        )
        if start_actions:
            wait_http(f"http://127.0.0.1:{action_port}/health", timeout, running.procs[0])
        wait_http(f"{running.url}/webhooks/rest/", timeout, running.procs[-1])
    except ExitedEarly as exc:
        running.stop()
        tail = "".join(
            (logs / name).read_text(errors="replace")[-1500:]
            for name in ("actions.log", "rasa.log")
            if (logs / name).exists()
        )
        if not retry_on_early_exit:
            raise ExitedEarly(f"{exc}\n--- end of the logs ---\n{tail}") from exc
        return start_assistant(
            workdir / "retry",
            env_overrides=env_overrides,
            model=model,
            credentials=credentials,
            endpoints_extra=endpoints_extra,
            start_actions=start_actions,
            action_port=None if start_actions else action_port,
            timeout=timeout,
            api=api,
            retry_on_early_exit=False,
        )
    except Exception:
        running.stop()
        raise
    return running


def klbot(env: Dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the staff CLI against the same database as the servers."""
    return subprocess.run(  # noqa: S603
        [str(BIN / "klbot"), *args],
        env=env,
        cwd=ROOT,
        check=check,
        capture_output=True,
        text=True,
    )
