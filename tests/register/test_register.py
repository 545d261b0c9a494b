"""The register's service layer and the staff CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.register import customers, requests, suppressions, verification
from bot.register.db import session_scope, upgrade
from bot.register.models import AuditEntry, Challenge, PrivacyRequest, Suppression, utcnow

KLBOT = str(Path(sys.executable).parent / "klbot")
HEADER = (
    "customer_number,name,address,postal_code,city,phone,email,contact_person,"
    "marketing_sms,marketing_email,marketing_post\n"
)


def cli(url, *args, check=True):
    env = {**os.environ, "KLBOT_DATABASE_URL": url}
    return subprocess.run(  # noqa: S603
        [KLBOT, *args], env=env, capture_output=True, text=True, check=check
    )


def count(url, model, *where):
    with session_scope(url) as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_migrating_twice_is_idempotent(register):
    upgrade(register)
    assert cli(register, "db", "upgrade").returncode == 0


def test_a_broken_row_aborts_the_import_with_its_line_and_changes_nothing(register, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "20001,Ny Kunde,Vei 1,1970,Hemnes,90000001,ny@example.no,,true,false,false\n"
        + "20002,Feil,Vei 2,1970,Hemnes,123,feil@example.no,,true,false,false\n"
    )
    result = cli(register, "customers", "import", str(bad), check=False)
    assert result.returncode != 0
    assert "line 3" in result.stderr and "phone" in result.stderr
    with session_scope(register) as s:
        assert customers.get_by_number(s, "20001") is None


def test_import_upserts_by_customer_number(register, tmp_path):
    update = tmp_path / "update.csv"
    update.write_text(
        HEADER + "10001,Nytt Navn,Vei 1,1970,Hemnes,+47 912 34 567,POST@hemnesgard.no,,"
        "true,true,true\n"
    )
    assert "0 new, 1 updated" in cli(register, "customers", "import", str(update)).stdout
    with session_scope(register) as s:
        customer = customers.get_by_number(s, "10001")
        assert customer.name == "Nytt Navn" and customer.email == "post@hemnesgard.no"
        assert customer.phone == "+4791234567"


def test_opt_out_suppresses_once_clears_the_flag_and_records_a_done_ticket(register):
    for _ in range(2):
        with session_scope(register) as s:
            suppressions.opt_out(s, channels=["sms"], address="912 34 567", source_channel="rest")
    assert count(register, Suppression, Suppression.address == "+4791234567") == 1
    with session_scope(register) as s:
        assert customers.get_by_number(s, "10001").marketing_sms is False
    listed = json.loads(cli(register, "requests", "list", "--json").stdout)
    # the second opt-out changed nothing: no second ticket (issue 22: no flood of tickets)
    assert [r["status"] for r in listed if r["kind"] == "opt_out"] == ["done"]
    for key in ("id", "kind", "status", "channel", "verified", "customer_number", "created_at"):
        assert key in listed[0]
    exported = json.loads(cli(register, "suppressions", "export", "--json").stdout)
    assert {"channel": "sms", "address": "+4791234567"} == {
        k: exported[0][k] for k in ("channel", "address")
    }


def test_the_assistants_opt_out_commits_on_its_own_and_returns_the_reference(register):
    reference = suppressions.submit_opt_out(
        channels=["sms"],
        address="912 34 567",
        source_channel="twilio_sms",
        verified_phone="+4791234567",
    )
    with session_scope(register) as s:
        ticket = requests.get_by_reference(s, reference)
        assert (ticket.kind, ticket.status, ticket.channel) == ("opt_out", "done", "twilio_sms")
        assert ticket.verified and ticket.details["channels"] == ["sms"]
        assert suppressions.is_suppressed(s, "sms", "+4791234567")
        actors = s.execute(
            select(AuditEntry.actor).where(AuditEntry.entity_id == reference)
        ).scalars()
        assert set(actors) == {"assistant"}


def _opt_out_worker(url):
    os.environ["KLBOT_DATABASE_URL"] = url
    with session_scope(url) as s:
        suppressions.opt_out(s, channels=["email"], address="Ny@Example.no", source_channel="rest")


def test_concurrent_opt_outs_from_several_processes_write_one_suppression(register):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_opt_out_worker, args=(register,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert count(register, Suppression, Suppression.address == "ny@example.no") == 1
    # a repeat that finds the contact point suppressed writes no ticket; racing ones may
    tickets = count(register, PrivacyRequest, PrivacyRequest.kind == "opt_out")
    assert 1 <= tickets <= 4


def test_codes_hash_only_five_tries_then_locked(register):
    with session_scope(register) as s:
        start = verification.start_challenge(
            s, conversation_id="c1", identifier="post@hemnesgard.no"
        )
        assert start.code and len(start.code) == 6 and start.destination == "post@hemnesgard.no"
        stored = s.get(Challenge, start.challenge_id)
        assert start.code not in (stored.code_hash or "")
        wrong = "000000" if start.code != "000000" else "111111"
        results = [verification.check_code(s, start.challenge_id, wrong) for _ in range(5)]
        assert [r.status for r in results] == ["wrong"] * 4 + ["locked"]
        assert verification.check_code(s, start.challenge_id, start.code).status == "locked"


def test_a_new_code_at_most_every_minute_and_unknown_people_never_pass(register):
    with session_scope(register) as s:
        first = verification.start_challenge(s, conversation_id="c2", identifier="91234567")
        again = verification.start_challenge(s, conversation_id="c2", identifier="91234567")
        assert again.challenge_id == first.challenge_id and again.code is None
        unknown = verification.start_challenge(s, conversation_id="c3", identifier="x@y.no")
        assert unknown.code is None and unknown.destination is None
        assert verification.check_code(s, unknown.challenge_id, "123456").status == "wrong"


def test_expired_codes_fail(register):
    with session_scope(register) as s:
        start = verification.start_challenge(s, conversation_id="c4", identifier="91234567")
        s.get(Challenge, start.challenge_id).expires_at = utcnow() - timedelta(seconds=1)
        assert verification.check_code(s, start.challenge_id, start.code).status == "expired"


def test_due_date_extension_and_lifecycle(register):
    with session_scope(register) as s:
        customer = customers.get_by_number(s, "10001")
        request = requests.create_request(s, kind="access", channel="rest", customer=customer)
        ref = request.reference
        assert request.due_at - request.created_at >= timedelta(days=28)
        assert request.due_at - request.created_at <= timedelta(days=31)
    assert "due" in cli(register, "requests", "extend", ref, "--reason", "mange saker").stdout
    assert cli(register, "requests", "extend", ref, "--reason", "igjen", check=False).returncode
    skipped = cli(
        register, "requests", "update", ref, "--status", "done", "--note", "x", check=False
    )
    assert skipped.returncode != 0 and "allowed: rejected, verified" in skipped.stderr
    for status in ("verified", "in_progress", "done"):
        cli(register, "requests", "update", ref, "--status", status, "--note", "sendt")
    bad = cli(
        register, "requests", "update", ref, "--status", "in_progress", "--note", "x", check=False
    )
    assert bad.returncode != 0
    shown = json.loads(cli(register, "requests", "show", ref, "--json").stdout)
    assert shown["status"] == "done" and shown["extended"] is True
    assert count(register, AuditEntry, AuditEntry.entity_id == ref) == 5


def test_export_has_everything_with_the_policy_and_is_owner_only(register, tmp_path):
    out = tmp_path / "export.json"
    cli(register, "customers", "export", "10001", "--format", "json", "--output", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text())
    assert data["customer"]["email"] == "post@hemnesgard.no"
    assert data["policy"]["purposes"] and data["policy"]["recipients"]
    assert any("3 måneder" in line for line in data["policy"]["retention"])
    assert "10001" in cli(register, "customers", "export", "10001", "--format", "csv").stdout


def test_erase_removes_personal_data_and_says_what_is_kept(register):
    result = cli(register, "customers", "erase", "10001", "--yes", "--reason", "kundens ønske")
    assert "bokføringsloven" in result.stdout
    with session_scope(register) as s:
        customer = customers.get_by_number(s, "10001")
        assert customer.name is None and customer.email is None and customer.phone is None
        assert customers.find_by_contact(s, email="post@hemnesgard.no") is None


def test_retention_purge_dry_run_changes_nothing(register):
    with session_scope(register) as s:
        start = verification.start_challenge(s, conversation_id="c5", identifier="91234567")
        s.get(Challenge, start.challenge_id).expires_at = utcnow() - timedelta(days=2)
    dry = cli(register, "retention", "purge", "--dry-run").stdout
    assert "Would delete 1 expired verification challenges" in dry
    assert count(register, Challenge) == 1
    cli(register, "retention", "purge")
    assert count(register, Challenge) == 0
