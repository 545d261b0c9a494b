"""From the chat to the inbox: a request typed into the real assistant a moment ago is in
the staff inbox (the real process, on the same register) with its days left; staff work it
to done there, and the customer's closing notice is queued where they asked."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid

import pytest

from tests.staff_web.test_inbox_attacks import Inbox, csrf, enrol, login
from tests.staff_web.test_inbox_attacks import stop as stop_inbox
from tests.support.servers import ROOT, STAFF_EMAIL, free_port, klbot, wait_http

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REFERENCE = re.compile(r"PV-[A-Z0-9]{6}")


def test_a_chat_request_is_worked_to_done_in_the_inbox(assistant):
    port = free_port()
    env = {**assistant.env, "KLBOT_STAFF_URL": f"http://127.0.0.1:{port}",
           "KLBOT_RATE_LIMITS": "off"}  # fmt: skip
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bot.staff_web", "--port", str(port)], env=env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/login", 60, proc)
        inbox = Inbox(f"http://127.0.0.1:{port}", env["KLBOT_DATABASE_URL"], env)
        email = f"innboks-{uuid.uuid4().hex[:8]}@example.com"
        sender = f"inbox-{uuid.uuid4().hex[:8]}"
        turns = [
            [m.get("text", "") for m in assistant.say(sender, text)]
            for text in ("Jeg vil ha innsyn i opplysningene mine", email, "fikk ingen kode")
        ]
        ref = REFERENCE.search(" ".join(turns[-1])).group(0)
        outbox = json.loads(klbot(env, "outbox", "list", "--json").stdout)
        (alert,) = [m for m in outbox if m["to"] == STAFF_EMAIL and ref in m["body"]]
        assert f"/requests/{ref}" in alert["body"] and "token" not in alert["body"]

        secret = enrol(inbox, "kjell.e2e@miljovarme.example.com")
        c = login(inbox, secret, email="kjell.e2e@miljovarme.example.com")
        assert ref not in c.get("/").text  # unverified: not in the default view ...
        queue = c.get("/", params={"tab": "unverified"})
        row = queue.text[queue.text.index(ref) :][:800]
        assert re.search(r"om \d+ dager", row) and "ikke bekreftet" in row
        for action in ("take", "verify", "start", "done"):
            page = c.get(f"/requests/{ref}")
            answer = c.post(f"/requests/{ref}/{action}", data={"csrf_token": csrf(page.text)})
            assert answer.status_code == 303, (action, answer.text[:500])
        page = c.get(f"/requests/{ref}")
        assert "ferdig" in page.text
        outbox = json.loads(klbot(env, "outbox", "list", "--json").stdout)
        notices = [m for m in outbox if m["to"] == email and ref in m["body"]]
        assert any("ferdig behandlet" in m["body"] for m in notices), notices
        c.close()
    finally:
        log = stop_inbox(proc)
        assert "Traceback" not in log, log
