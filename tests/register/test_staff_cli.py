"""The staff CLI as staff use it (the real ``klbot`` console script): tables that fit 80
columns, dates as ``25.12.2026 (om 30 dager)``, ``show`` with the whole history, ``update``
without a note, ``done`` straight from ``verified`` with ``--force``, ``remind`` twice."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import get_settings
from bot.register import requests
from bot.register.db import session_scope

KLBOT = str(Path(sys.executable).parent / "klbot")
STAFF = "personvern@miljovarme.example.com"
SPEC_FIELDS = {
    "id", "reference", "kind", "status", "channel", "verified", "customer_number",
    "created_at", "due_at", "details",
}  # fmt: skip


@pytest.fixture
def staffed(register, monkeypatch):
    monkeypatch.setenv("KLBOT_STAFF_EMAIL", STAFF)
    get_settings.cache_clear()
    yield register
    get_settings.cache_clear()


def cli(url, *args, check=True, columns=80):
    env = {**os.environ, "KLBOT_DATABASE_URL": url, "KLBOT_STAFF_EMAIL": STAFF}
    env["COLUMNS"] = str(columns)
    return subprocess.run(  # noqa: S603
        [KLBOT, *args], env=env, capture_output=True, text=True, check=check
    )


def ticket(url, kind="access", verified=True, identifier="ola.nordmann@example.no"):
    return requests.submit_request(
        kind=kind,
        channel="twilio_sms",
        identifier=identifier,
        verified=verified,
        verification_method="otp_email" if verified else None,
        proven_phone="+4741234567" if verified else None,  # the SMS sender
        url=url,
    ).reference


def test_the_table_fits_80_columns_with_whole_references_and_days_left(staffed):
    refs = [ticket(staffed, kind) for kind in ("portability", "restriction", "correction")]
    refs.append(ticket(staffed, "objection", verified=False, identifier="x@example.com"))
    out = cli(staffed, "requests", "list").stdout
    assert max(len(line) for line in out.splitlines()) <= 80, out
    for ref in refs:
        assert ref in out
    assert re.search(r"\d\d\.\d\d\.\d{4} \(om 3\d dager\)", out), out
    assert "in_progress" not in out and "…" not in out, out


def test_list_json_keeps_the_spec_fields_and_shows_attempts(staffed):
    ref = ticket(staffed)
    ticket(staffed)
    (row,) = json.loads(cli(staffed, "requests", "list", "--json").stdout)
    assert SPEC_FIELDS <= set(row) and row["reference"] == ref and row["attempts"] == 2


def test_update_needs_no_note_done_from_verified_with_force_and_show_has_the_history(staffed):
    ref = ticket(staffed)
    refused = cli(staffed, "requests", "update", ref, "--status", "done", check=False)
    assert refused.returncode != 0 and "--force" in refused.stderr
    done = cli(staffed, "requests", "update", ref, "--status", "done", "--force").stdout
    assert f"{ref} is now done" in done and "told by sms" in done
    shown = cli(staffed, "requests", "show", ref).stdout
    assert "History:" in shown and "created (verified)" in shown
    assert "status verified -> done (skipped in_progress)" in shown
    assert "customer told by sms" in shown and "done; the customer has been answered" in shown
    assert max(len(line) for line in shown.splitlines()) <= 80
    as_json = json.loads(cli(staffed, "requests", "show", ref, "--json").stdout)
    assert [h["action"] for h in as_json["history"]] == ["create", "status"]


def test_reject_with_a_category_and_extend_print_readable_dates(staffed):
    ref = ticket(staffed)
    extended = cli(staffed, "requests", "extend", ref, "--reason", "mange saker").stdout
    assert re.search(r"due \d\d\.\d\d\.\d{4} \(om \d+ dager\)", extended), extended
    bad = cli(staffed, "requests", "update", ref, "--status", "rejected", "--category", "x",
              check=False)  # fmt: skip
    assert bad.returncode != 0 and "no_data" in bad.stderr
    cli(staffed, "requests", "update", ref, "--status", "rejected", "--category", "no_data")
    shown = cli(staffed, "requests", "show", ref).stdout
    assert "Rejected:  no_data" in shown and "Extended:  mange saker" in shown


def test_remind_twice_queues_one_digest(staffed):
    ref = ticket(staffed)
    with session_scope(staffed) as s:
        request = requests.get_by_reference(s, ref)
        request.due_at = request.created_at  # overdue
    first = cli(staffed, "requests", "remind").stdout
    second = cli(staffed, "requests", "remind").stdout
    assert ref in first and "Digest queued" in first
    assert "Not sent again" in second
    outbox = json.loads(cli(staffed, "outbox", "list", "--json").stdout)
    digests = [m for m in outbox if m["to"] == STAFF and m["body"].startswith("Personvern:")]
    assert len(digests) == 1 and ref in digests[0]["body"]


def test_remind_with_nothing_due_says_so(staffed):
    assert "Nothing due" in cli(staffed, "requests", "remind").stdout


def test_requests_list_filters_by_kind_status_and_customer(staffed):
    erasure = ticket(staffed, "erasure")
    access = ticket(staffed, "access")
    stranger = ticket(staffed, "objection", verified=False, identifier="x@example.com")
    rows = json.loads(cli(staffed, "requests", "list", "--kind", "erasure", "--json").stdout)
    assert [r["reference"] for r in rows] == [erasure]
    rows = json.loads(cli(staffed, "requests", "list", "--customer", "10002", "--json").stdout)
    refs = {r["reference"] for r in rows}
    assert {erasure, access} <= refs and stranger not in refs, refs
    rows = json.loads(cli(staffed, "requests", "list", "--status", "received", "--json").stdout)
    assert stranger in {r["reference"] for r in rows}
    bad = cli(staffed, "requests", "list", "--kind", "sletting", check=False)
    assert bad.returncode == 1 and "Unknown kind" in bad.stderr and "Traceback" not in bad.stderr


def test_outbox_list_shows_the_text_of_each_message(staffed):
    ticket(staffed, "access")
    out = cli(staffed, "outbox", "list", columns=200).stdout
    assert "PV-" in out, out  # the body (the receipt names its reference), not only metadata


def test_klbot_never_creates_a_register_the_servers_do_not_use(tmp_path):
    missing = tmp_path / "elsewhere" / "klbot.db"
    result = cli(f"sqlite:///{missing}", "requests", "list", check=False)
    assert result.returncode == 2, result
    assert "No register at" in result.stderr and "KLBOT_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert not missing.exists() and not missing.parent.exists()
    where = cli(f"sqlite:///{missing}", "where").stdout
    assert str(missing) in where and "does not exist" in where


def test_help_opens_with_examples_not_shell_completion():
    out = subprocess.run([KLBOT, "--help"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert "--install-completion" not in out
    assert "Examples:" in out and "klbot requests list --open" in out
