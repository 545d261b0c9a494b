"""What a customer wrote reaches a staff terminal inert: ``klbot requests show`` prints no
control sequence, and tables print Rich markup as the text it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.register import requests
from bot.register.db import session_scope
from bot.register.models import Suppression

KLBOT = str(Path(sys.executable).parent / "klbot")
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31mRØD [bold]fet[/bold] [link=http://x]lenke[/link]"


def cli(url, *args):
    env = {**os.environ, "KLBOT_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run(  # noqa: S603
        [KLBOT, *args], env=env, capture_output=True, text=True, check=True
    ).stdout


def test_requests_show_and_tables_print_customer_text_inert(register):
    ref = requests.submit_request(
        kind="complaint",
        channel="rest",
        identifier="x@example.com",
        verified=False,
        details={"about": HOSTILE},
        url=register,
    ).reference
    with session_scope(register) as s:
        s.add(Suppression(channel="email", address="[link=http://x]lenke[/link]@example.com"))
    shown = cli(register, "requests", "show", ref)
    assert "\x1b" not in shown and "\x9b" not in shown and "\x07" not in shown
    assert "RØD" in shown and "[bold]fet[/bold]" in shown
    listed = cli(register, "suppressions", "export")
    assert "[link=http://x]lenke[/link]@example.com" in listed.replace("\n", "")
