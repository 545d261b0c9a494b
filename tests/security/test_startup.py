"""How the servers start: `make run` safe by default, production refuses to start unsafe.

`scripts/run.sh` (what `make run` runs after building) is started for real on free ports,
with no secret configured: Rasa's HTTP API must not exist, the action server must want a
token that the Rasa server has (the conversation with a form works) and nobody else has,
both must listen on loopback only, and no secret may appear on a command line.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import httpx
import pytest

from bot.channels.guard import APOLOGY
from tests.support.missing import missing
from tests.support.servers import BIN, MODEL, ROOT, free_port

pytestmark = [pytest.mark.e2e]

SECRETS = ("KLBOT_API_TOKEN", "KLBOT_ACTION_TOKEN")


def clean_env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLBOT_", "SANIC_"))}
    env.update(
        {
            "KLBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'register.db'}",
            "KLBOT_TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'conversations.db'}",
            # blank = unset, whatever a developer's .env says
            "KLBOT_API_TOKEN": "",
            "KLBOT_ACTION_TOKEN": "",
            "KLBOT_HOST": "",
            "KLBOT_ENV": "",
        }
    )
    env.update(extra)
    return env


def non_loopback_address() -> str:
    """An address of this machine other than 127.0.0.1 (what a neighbour would dial)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: only picks the outgoing address
            address = s.getsockname()[0]
        except OSError:
            address = ""
    if not address or address.startswith("127."):
        missing("this machine has no non-loopback IPv4 address to try")
    return address


def children(pid: int) -> List[int]:
    """All descendants of ``pid`` (from /proc: each process's parent is in its stat)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found + [c for p in found for c in children(p)]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def environ_value(pid: int, name: str) -> str:
    try:
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            key, _, value = item.decode(errors="replace").partition("=")
            if key == name:
                return value
    except OSError:
        pass
    return ""


@pytest.mark.slow
def test_make_run_by_default_exposes_no_api_and_no_open_action_server(tmp_path):
    if not MODEL.exists():
        missing(f"{MODEL} is missing: run `make train` first")
    rasa_port, action_port, staff_port = free_port(), free_port(), free_port()
    env = clean_env(
        tmp_path,
        RASA_PORT=str(rasa_port),
        ACTION_PORT=str(action_port),
        STAFF_PORT=str(staff_port),
        DEMO_PORT=str(free_port()),
    )
    subprocess.run(  # noqa: S603
        [str(BIN / "klbot"), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    log = open(tmp_path / "run.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(  # noqa: S603
        [str(ROOT / "scripts" / "run.sh")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as a whole below
    )
    url, actions = f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}"
    try:
        deadline = time.monotonic() + 300
        while "The assistant is ready" not in (tmp_path / "run.log").read_text(errors="replace"):
            assert proc.poll() is None, (tmp_path / "run.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "make run did not get ready"
            time.sleep(1)

        # Rasa's HTTP API does not exist, whatever token is offered
        for method, path in [
            ("GET", "/status"),
            ("GET", "/domain"),
            ("GET", "/conversations/x/tracker"),
            ("POST", "/conversations/x/tracker/events"),
            ("POST", "/conversations/x/execute"),
            ("DELETE", "/model"),
            ("POST", "/model/parse"),
        ]:
            response = httpx.request(
                method, url + path, params={"token": "guess"}, json={"text": "hei"}
            )
            assert response.status_code == 404, (method, path, response.status_code)

        # the channels work, and so does the action server for the Rasa server (a form)
        reply = httpx.post(
            url + "/webhooks/rest/webhook",
            json={"sender": "run-sh-1", "message": "jeg vil ikke ha reklame på sms"},
            timeout=90,
        )
        texts = [m.get("text", "") for m in reply.json()]
        assert texts and APOLOGY not in texts, texts

        # ... but not for anyone else
        assert httpx.post(actions + "/webhook", json={"next_action": "x"}).status_code == 401

        # the staff inbox runs too, its address on a line of its own, and opens to nobody
        printed = (tmp_path / "run.log").read_text(errors="replace").splitlines()
        assert f"http://127.0.0.1:{staff_port}/" in printed, printed[-12:]
        inbox = f"http://127.0.0.1:{staff_port}"
        assert httpx.get(inbox + "/login").status_code == 200
        first = httpx.get(inbox + "/")
        assert first.status_code == 303 and first.headers["location"].startswith("/login")

        # loopback only: a neighbour dialling this machine's address reaches no server
        address = non_loopback_address()
        for port in (rasa_port, action_port, staff_port):
            with socket.socket() as s, pytest.raises(OSError):
                s.settimeout(3)
                s.connect((address, port))

        # the per-run secret exists, and no command line shows it (`ps` shows those to all)
        procs = children(proc.pid)
        token = next(filter(None, (environ_value(p, "KLBOT_ACTION_TOKEN") for p in procs)), "")
        assert len(token) >= 32, "make run gave the servers no action token"
        lines = [cmdline(p) for p in procs]
        assert not [line for line in lines if token in line or "--auth-token" in line], lines
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.mark.parametrize("module", ["bot.action_server", "bot.rasa_server"])
def test_outside_development_a_server_without_the_action_token_does_not_start(tmp_path, module):
    env = clean_env(tmp_path, KLBOT_ENV="production")
    port = free_port()
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", module, "--port", str(port)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "KLBOT_ACTION_TOKEN is not set" in result.stdout + result.stderr
    with socket.socket() as s, pytest.raises(OSError):
        s.connect(("127.0.0.1", port))


def test_the_api_flags_are_not_the_callers_to_choose(tmp_path):
    """`python -m bot.rasa_server --enable-api` cannot open the API without the token."""
    for flag in (["--enable-api"], ["--auth-token", "x"], ["-i", "0.0.0.0"]):  # noqa: S104
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bot.rasa_server", *flag],
            cwd=ROOT,
            env=clean_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2 and "decided by the settings" in result.stderr, flag
