"""A request is done only when its work is done (issue 19), on SQLite and PostgreSQL: the
ticket keeps the customer's language; the typed lifecycle and the one history; correction,
restriction and objection, extension and erasure each do their work."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from bot.config import get_settings
from bot.register import casework, consent, customers, requests, suppressions, wording
from bot.register.db import alembic_config, session_scope, upgrade
from bot.register.models import (
    AuditEntry,
    CustomerMark,
    OutboxMessage,
    PrivacyRequest,
    ServiceStore,
    UTCDateTime,
)
from tests.register.test_register import KLBOT, cli
from tests.support.tracker import dump, say, senders


def cli_env(url, **env):
    import os
    import subprocess

    return subprocess.run(  # noqa: S603
        [KLBOT, "customers", "erase", LISE, "--yes"],
        env={**os.environ, "KLBOT_DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
    )


OLA_EMAIL = "ola.nordmann@example.no"  # demo customer 10002


def outbox_to(url: str, to: str):
    with session_scope(url) as s:
        return list(
            s.execute(
                select(OutboxMessage).where(OutboxMessage.to == to).order_by(OutboxMessage.id)
            ).scalars()
        )


def submit(url: str, **kwargs):
    args = {
        "kind": "access",
        "channel": "rest",
        "identifier": OLA_EMAIL,
        "verified": True,
        "verification_method": "otp_email",
        "url": url,
    }
    args.update(kwargs)
    return requests.submit_request(**args)


def close(url: str, ref: str, status: str = "done", **kwargs) -> None:
    with session_scope(url) as s:
        if status == "done":
            requests.update_status(s, ref, "in_progress", actor="kjell")
        requests.update_status(s, ref, status, actor="kjell", **kwargs)


# --- 1. the customer's language --------------------------------------------------------


def test_an_english_customers_closing_notice_is_english_and_a_norwegians_norwegian(register):
    english = submit(register, language="en").reference
    close(register, english)
    with session_scope(register) as s:
        assert requests.get_by_reference(s, english).language == "en"
    (notice,) = [m for m in outbox_to(register, OLA_EMAIL) if english in m.body]
    assert "has been dealt with" in notice.body and "ferdig" not in notice.body
    norwegian = submit(register, kind="portability").reference
    close(register, norwegian, "rejected", category="no_data")
    (notice,) = [m for m in outbox_to(register, OLA_EMAIL) if norwegian in m.body]
    assert "avslått" in notice.body and "rejected" not in notice.body


def test_an_english_rejection_names_its_reason_in_english(register):
    ref = submit(register, language="en").reference
    close(register, ref, "rejected", category="identity")
    (notice,) = [m for m in outbox_to(register, OLA_EMAIL) if ref in m.body]
    assert "we could not confirm your identity" in notice.body and "Datatilsynet" in notice.body
    assert len(notice.body) <= 320


def test_an_unknown_language_is_norwegian_not_an_error(register):
    ref = submit(register, language="de").reference
    with session_scope(register) as s:
        assert requests.get_by_reference(s, ref).language == "nb"


# --- 2. typed lifecycle, one history ----------------------------------------------------


def test_the_database_refuses_a_status_or_kind_outside_the_lifecycle(register):
    ref = submit(register).reference
    for column, value in (("status", "finished"), ("kind", "gossip"), ("language", "de")):
        with pytest.raises(sa.exc.DBAPIError):  # IntegrityError on SQLite and PostgreSQL
            with session_scope(register) as s:
                s.execute(
                    sa.text(f"UPDATE privacy_requests SET {column} = :v WHERE reference = :r"),  # noqa: S608
                    {"v": value, "r": ref},
                )
    with pytest.raises(ValueError):  # the model refuses before the database
        PrivacyRequest(status="finished")
    with pytest.raises(requests.RequestError, match="unknown status"):
        with session_scope(register) as s:
            requests.update_status(s, ref, "finished", actor="kjell")


def test_every_transition_is_in_the_audit_log_with_time_and_actor_and_details_keep_no_notes(
    register,
):
    ref = submit(register).reference
    with session_scope(register) as s:
        requests.update_status(s, ref, "in_progress", actor="kjell", note="ser på det")
        requests.extend_deadline(s, ref, reason="mange saker", actor="kari")
        requests.update_status(s, ref, "done", actor="kjell")
    with session_scope(register) as s:
        trail = requests.history(s, ref)
        assert "notes" not in requests.get_by_reference(s, ref).details
    steps = [(e.action, e.actor, (e.changes or {}).get("status")) for e in trail]
    assert steps[1:] == [
        ("status", "kjell", ["verified", "in_progress"]),
        ("extend", "kari", None),
        ("status", "kjell", ["in_progress", "done"]),
    ]
    assert all(e.at is not None for e in trail)
    assert trail[1].reason == "ser på det" and trail[2].reason == "mange saker"


def test_migration_0006_moves_the_notes_into_the_audit_log_once(db_url):
    command.upgrade(alembic_config(db_url), "0005")
    engine = sa.create_engine(db_url)
    old = sa.table(
        "privacy_requests",
        *(sa.column(c) for c in ("reference", "kind", "status", "channel", "verified")),
        sa.column("details", sa.JSON),
        sa.column("due_at", UTCDateTime),
        sa.column("created_at", UTCDateTime),
    )
    notes = [
        {"at": "2026-10-01T10:00:00+00:00", "by": "kjell", "status": "in_progress",
         "note": "work started"},
        {"at": "2026-10-02T10:00:00+00:00", "by": "kari", "extended": "mange saker"},
        {"at": "2026-10-03T10:00:00+00:00", "by": "kjell", "status": "done",
         "note": "svart per brev"},
    ]  # fmt: skip
    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        c.execute(
            old.insert().values(
                reference="PV-OLD234",
                kind="access",
                status="done",
                channel="post",
                verified=True,
                details={"notes": notes, "about": "x"},
                due_at=now,
                created_at=now,
            )  # fmt: skip
        )
        c.execute(  # what 0005 already wrote to the audit log for the first note
            sa.text(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, reason) VALUES "
                "(:at, 'kjell', 'status', 'request', 'PV-OLD234', 'work started')"
            ),
            {"at": now.replace(tzinfo=None)},
        )
    engine.dispose()
    upgrade(db_url)
    with session_scope(db_url) as s:
        ticket = requests.get_by_reference(s, "PV-OLD234")
        assert ticket.details == {"about": "x"} and ticket.language == "nb"
        trail = requests.history(s, "PV-OLD234")
        reasons = [e.reason for e in trail]
        assert reasons.count("work started") == 1
        assert "mange saker" in reasons and "svart per brev" in reasons
        moved = next(e for e in trail if e.reason == "svart per brev")
        assert moved.actor == "kjell" and moved.at.date().isoformat() == "2026-10-03"


def test_requests_show_prints_the_whole_history(register):
    ref = submit(register).reference
    with session_scope(register) as s:
        requests.update_status(s, ref, "in_progress", actor="kjell", note="ringte kunden")
        requests.extend_deadline(s, ref, reason="mange vedlegg", actor="kari")
    out = cli(register, "requests", "show", ref).stdout
    assert "ringte kunden" in out and "mange vedlegg" in out and "due date extended" in out


# --- 3. correction ----------------------------------------------------------------------

KARI = "post@hemnesgard.no"  # demo customer 10001, contact person Kari Nordmann


def correction(url, field, value, verified=True):
    return submit(
        url, kind="correction", identifier=KARI, verified=verified,
        details={"field": field, "new_value": value},
    ).reference  # fmt: skip


def test_done_on_an_unapplied_correction_is_refused_with_the_hint(register):
    ref = correction(register, "contact_person", "Jon Fjell")
    with pytest.raises(requests.RequestError, match=f"klbot requests apply {ref}"):
        close(register, ref)
    with session_scope(register) as s:
        assert requests.get_by_reference(s, ref).status == "verified"
        assert customers.export_customer(s, "10001")["customer"]["contact_person"] == (
            "Kari Nordmann"
        )


def test_apply_changes_the_register_closes_the_ticket_and_tells_the_customer(register):
    ref = correction(register, "contact_person", "Jon Fjell")
    result = cli(register, "requests", "apply", ref, "--yes")
    assert "corrected; the ticket is done" in result.stdout
    with session_scope(register) as s:
        extract = customers.export_customer(s, "10001")
        ticket = requests.get_by_reference(s, ref)
        assert ticket.status == "done"
        trail = requests.history(s, ref)
    assert extract["customer"]["contact_person"] == "Jon Fjell"
    assert "Kari Nordmann" not in json.dumps(extract, ensure_ascii=False)
    assert any(e.action == "apply" for e in trail)
    assert all("Kari" not in json.dumps(e.changes or {}) for e in trail)  # no old value
    (notice,) = [m for m in outbox_to(register, KARI) if ref in m.body]
    assert "kontaktpersonen" in notice.body and "Jon Fjell" not in notice.body
    again = cli(register, "requests", "apply", ref, "--yes", check=False)
    assert again.returncode != 0 and "Nothing changed" in again.stderr


def test_an_unverified_correction_is_not_applied(register):
    ref = correction(register, "name", "Hemnes Gard AS", verified=False)
    with pytest.raises(requests.RequestError, match="not verified"):
        with session_scope(register) as s:
            casework.apply_correction(s, ref, actor="kjell")
    with session_scope(register) as s:
        assert customers.get_by_number(s, "10001").name == "Hemnes Gårdsdrift AS"


def test_an_opt_out_follows_a_corrected_address_and_phone(register):
    with session_scope(register) as s:
        suppressions.opt_out(
            s, channels=["post", "sms"], address="Langstranda 12, 1970 Hemnes",
            source_channel="rest",
        )  # fmt: skip
        suppressions.opt_out(s, channels=["sms"], address="+4791234567", source_channel="rest")
    address = correction(register, "address", "Fjordgata 3, 8646 Korgen")
    phone = correction(register, "phone", "+4790011223")
    with session_scope(register) as s:
        casework.apply_correction(s, address, actor="kjell")
        casework.apply_correction(s, phone, actor="kjell")
    listed = {
        (x["channel"], x["address"])
        for x in json.loads(cli(register, "suppressions", "export", "--json").stdout)
    }
    assert ("post", "fjordgata 3, 8646 korgen") in listed
    assert ("sms", "+4790011223") in listed
    assert not any("langstranda" in a or a == "+4791234567" for _, a in listed)
    with session_scope(register) as s:
        customer = customers.get_by_number(s, "10001")
        assert (customer.address, customer.postal_code, customer.city) == (
            "Fjordgata 3", "8646", "Korgen",
        )  # fmt: skip
        assert consent.contradictions(s) == []
        assert not customer.marketing_post and not customer.marketing_sms


# --- 4. restriction and objection -------------------------------------------------------

OLA_NUMBER = "10002"


def marketing_list(url, channel="sms"):
    rows = cli(url, "customers", "list", "--purpose", "marketing", "--channel", channel, "--json")
    return {r["customer_number"] for r in json.loads(rows.stdout)}


def test_done_on_an_unmarked_restriction_is_refused_with_the_hint(register):
    ref = submit(register, kind="restriction").reference
    with pytest.raises(requests.RequestError, match=f"klbot requests mark {ref}"):
        close(register, ref)


def test_an_objection_and_a_restriction_change_what_the_marketing_export_returns(register):
    assert OLA_NUMBER in marketing_list(register)
    objection = submit(register, kind="objection").reference
    assert OLA_NUMBER in marketing_list(register)  # a ticket alone stops nothing
    out = cli(register, "requests", "mark", objection, "--covers", "marketing").stdout
    assert "the ticket is done" in out
    assert OLA_NUMBER not in marketing_list(register)
    listed = json.loads(cli(register, "suppressions", "export", "--json").stdout)
    assert {"channel": "sms", "address": "+4741234567"} in [
        {"channel": r["channel"], "address": r["address"]} for r in listed
    ]
    assert any(r["reason"] == "objection" for r in listed)
    surveys = cli(register, "customers", "list", "--purpose", "surveys", "--json").stdout
    assert OLA_NUMBER in {r["customer_number"] for r in json.loads(surveys)}
    # a restriction covering all: out of the survey and analysis lists too
    kari = submit(register, kind="restriction", identifier=KARI).reference
    cli(register, "requests", "mark", kari, "--covers", "all")
    for purpose in ("surveys", "analyses", "marketing"):
        rows = cli(register, "customers", "list", "--purpose", purpose, "--json").stdout
        assert "10001" not in {r["customer_number"] for r in json.loads(rows)}
    with session_scope(register) as s:
        extract = customers.export_customer(s, OLA_NUMBER)
        assert requests.get_by_reference(s, objection).status == "done"
    assert extract["processing_marks"][0]["kind"] == "objection"
    assert extract["processing_marks"][0]["covers"] == "marketing"
    (notice,) = [m for m in outbox_to(register, OLA_EMAIL) if objection in m.body]
    assert "markedsføring" in notice.body


def test_a_mark_is_lifted_only_by_a_recorded_decision(register):
    ref = submit(register, kind="objection").reference
    with session_scope(register) as s:
        casework.place_mark(s, ref, covers=["marketing"], actor="kjell")
    refused = cli(register, "customers", "lift-mark", OLA_NUMBER, "--reason", "", check=False)
    assert refused.returncode != 0
    assert OLA_NUMBER not in marketing_list(register)
    cli(register, "customers", "lift-mark", OLA_NUMBER, "--reason", "kunden trakk protesten")
    assert OLA_NUMBER in marketing_list(register)
    with session_scope(register) as s:
        customer = customers.get_by_number(s, OLA_NUMBER)
        (mark,) = s.execute(select(CustomerMark)).scalars()
        assert mark.lift_reason == "kunden trakk protesten" and mark.lifted_by
        lifts = s.execute(
            select(AuditEntry).where(
                AuditEntry.action == "lift_mark", AuditEntry.entity_id == str(customer.id)
            )
        ).scalars()
        assert [e.reason for e in lifts] == ["kunden trakk protesten"]
    with pytest.raises(requests.RequestError, match="--covers takes"):
        casework.parse_purposes(["gossip"])


# --- 5. extension -----------------------------------------------------------------------


def test_an_extension_queues_the_customers_notice_with_the_new_date_and_reason(register):
    ref = submit(register).reference
    english = submit(register, kind="portability", language="en").reference
    out = cli(register, "requests", "extend", ref, "--reason", "Omfattende forespørsel").stdout
    assert "The customer is told by email" in out
    with session_scope(register) as s:
        due = requests.get_by_reference(s, ref).due_at
        requests.extend_request(s, english, reason="many attachments " * 40, actor="kari")
    (notice,) = [m for m in outbox_to(register, OLA_EMAIL) if ref in m.body]
    assert wording.date_text(due) in notice.body and "Omfattende forespørsel" in notice.body
    assert "Ny frist" in notice.body
    (english_notice,) = [m for m in outbox_to(register, OLA_EMAIL) if english in m.body]
    assert "new due date" in english_notice.body and len(english_notice.body) <= 320
    assert english in english_notice.body and "many attachments" in english_notice.body
    again = cli(register, "requests", "extend", ref, "--reason", "igjen", check=False)
    assert again.returncode != 0
    assert len([m for m in outbox_to(register, OLA_EMAIL) if ref in m.body]) == 1


# --- 6. erasure -------------------------------------------------------------------------

LISE = "10004"  # Lise Berg, Fjellveien 7, +4794567890, lise.berg@example.no
LISE_TRACES = ["lise.berg@example.no", "94567890", "4794567890", "Lise Berg", "Fjellveien 7"]


def everything_in(url: str) -> str:
    """Every value of every table of the register, as text (what a search would find)."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    found = []
    with engine.connect() as c:
        for table in meta.sorted_tables:
            for row in c.execute(sa.select(table)):
                found.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    engine.dispose()
    return "\n".join(found)


def lise_everywhere(url, tracker_store):
    """Lise in the register's tickets, outbox and the tracker store, as the issue found her."""
    from bot.channels.support import conversation_id

    with session_scope(url) as s:
        lise = customers.get_by_number(s, LISE)
        erasure = requests.create_request(
            s, kind="erasure", channel="rest", customer=lise, verified=True,
            verification_method="otp_email", conversation_id="web-1",
            reply_channel="email", reply_to="lise.berg@example.no", language="en",
        ).reference  # fmt: skip
        requests.create_request(  # an unverified complaint that names her
            s, kind="complaint", channel="rest",
            details={"about": "Lise Berg i Fjellveien 7 får reklame på 945 67 890"},
        )  # fmt: skip
    with session_scope(url) as s:
        suppressions.opt_out(s, channels=["sms"], address="945 67 890", source_channel="rest")
    say(tracker_store, "web-1", "I want my data erased: lise.berg@example.no")
    say(tracker_store, "web-2", "my number is 945 67 890")
    say(tracker_store, conversation_id("sms", "+4794567890", ""), "STOPP")
    say(tracker_store, "telegram-x", "Jeg heter Lise Berg")
    say(tracker_store, "other", "hvor lenge lagrer dere data?")
    return erasure


def test_an_erasure_leaves_nothing_of_the_person_in_any_store_and_closes_last(
    register, tracker_store
):
    erasure = lise_everywhere(register, tracker_store)
    out = cli(register, "customers", "erase", LISE, "--yes").stdout
    assert f"Closed {erasure} as done" in out and "Conversations erased: 4" in out
    assert "Tracker store: sqlite:///" in out and "Register:" in out
    assert senders(tracker_store) == {"other"}
    stored = everything_in(register) + dump(tracker_store)
    suppressed = {"+4794567890"}  # kept on the suppression list, and the receipt says so
    for trace in LISE_TRACES:
        hits = [
            line for line in stored.splitlines()
            if trace.lower() in line.lower()
            and not any(keep in line for keep in suppressed)
            and "erasure_receipt" not in line
        ]  # fmt: skip
        assert not hits, (trace, hits)
    with session_scope(register) as s:
        ticket = requests.get_by_reference(s, erasure)
        assert ticket.status == "done" and ticket.reply_to is None
        trail = requests.history(s, erasure)
        erase_entry = next(
            e for e in s.execute(select(AuditEntry).where(AuditEntry.action == "erase")).scalars()
        )
        assert erase_entry.id < trail[-1].id  # the register's erasure before the ticket's close
    receipts = [m for m in outbox_to(register, "lise.berg@example.no") if erasure in m.body]
    (receipt,) = receipts
    assert receipt.purpose == "erasure_receipt"
    assert "Erased:" in receipt.body and "Kept, and why:" in receipt.body
    assert "Bookkeeping Act" in receipt.body


def test_a_second_erasure_is_harmless(register, tracker_store):
    lise_everywhere(register, tracker_store)
    cli(register, "customers", "erase", LISE, "--yes")
    with session_scope(register) as s:
        before = len(list(s.execute(select(OutboxMessage)).scalars()))
    again = cli(register, "customers", "erase", LISE, "--yes")
    assert again.returncode == 0 and "erased already" in again.stdout
    with session_scope(register) as s:
        assert len(list(s.execute(select(OutboxMessage)).scalars())) == before


def test_an_erasure_refuses_while_another_request_is_open_unless_forced(register, tracker_store):
    access = submit(register, identifier="lise.berg@example.no").reference
    refused = cli(register, "customers", "erase", LISE, "--yes", check=False)
    assert (
        refused.returncode != 0 and access in refused.stderr and "Nothing erased" in refused.stderr
    )
    with session_scope(register) as s:
        assert customers.get_by_number(s, LISE).email == "lise.berg@example.no"
    forced = cli(register, "customers", "erase", LISE, "--yes", "--force").stdout
    assert f"{access} is still open" in forced
    with session_scope(register) as s:
        ticket = requests.get_by_reference(s, access)
        assert ticket.reply_to is None and ticket.status == "verified"
    close(register, access)  # answering it afterwards e-mails nobody
    assert [m for m in outbox_to(register, "lise.berg@example.no") if access in m.body] == []


def test_an_erasure_refuses_a_tracker_store_that_is_not_the_servers(
    register, tracker_store, tmp_path
):
    from bot.register import service_stores

    with session_scope(register) as s:  # what the Rasa server recorded when it started
        s.add(ServiceStore(name="tracker", description="postgresql://db.internal:5432/rasa"))
    refused = cli(register, "customers", "erase", LISE, "--yes", check=False)
    assert refused.returncode != 0 and "postgresql://db.internal:5432/rasa" in refused.stderr
    with session_scope(register) as s:
        assert customers.get_by_number(s, LISE).name == "Lise Berg"
        s.get(ServiceStore, "tracker").description = service_stores.describe_store(tracker_store)
    # the server's store, but klbot without KLBOT_TRACKER_STORE_URL: the default file
    env_less = cli_env(register, KLBOT_TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'none.db'}")
    assert env_less.returncode != 0 and "Nothing erased" in env_less.stderr
    assert not (tmp_path / "none.db").exists()
    assert cli(register, "customers", "erase", LISE, "--yes").returncode == 0


def test_done_on_an_erasure_ticket_without_the_erasure_is_refused(register):
    ref = submit(register, kind="erasure").reference
    with pytest.raises(requests.RequestError, match="klbot customers erase"):
        close(register, ref)


# --- customer text stays inert in the staff's terminal ----------------------------------

HOSTILE = "klikk \x1b]8;;https://evil.example\x1b\\her\x1b]8;;\x1b\\ \x1b[2J\u202eedoc\x9b31m"


def test_a_complaint_with_terminal_escapes_prints_inert(register):
    with session_scope(register) as s:
        ref = requests.create_request(
            s, kind="complaint", channel="rest", details={"about": HOSTILE}
        ).reference
        suppressions.opt_out(
            s, channels=["post"], address="Gate 1\x1b[31m, 1970 Hemnes", source_channel="rest"
        )
    shown = cli(register, "requests", "show", ref).stdout
    listed = cli(register, "suppressions", "export").stdout
    for out in (shown, listed):
        assert "\x1b" not in out and "\u202e" not in out and "\x9b" not in out
    assert "8;;https://evil.example" in shown and "\\u202e" in shown
    assert "\\x1b[31m" in listed


def test_the_rasa_server_records_its_tracker_store_when_it_starts(register, monkeypatch):
    import rasa.__main__

    from bot import rasa_server
    from bot.register import service_stores

    server_store = "postgresql://rasa:hemmelig@db.internal:5432/rasa"
    monkeypatch.setenv("KLBOT_TRACKER_STORE_URL", server_store)
    monkeypatch.setattr(rasa.__main__, "main", lambda: None)  # not the server itself
    get_settings.cache_clear()
    rasa_server.main(["--endpoints", "endpoints.yml"])
    get_settings.cache_clear()
    with session_scope(register) as s:
        recorded = service_stores.recorded(s, service_stores.TRACKER)
    assert recorded == "postgresql://db.internal:5432/rasa"  # no user name, no password
    refused = cli(register, "customers", "erase", LISE, "--yes", check=False)
    assert refused.returncode != 0 and "db.internal" in refused.stderr


def test_recording_a_store_in_a_register_that_is_not_migrated_does_not_raise(tmp_path):
    from bot.register import service_stores

    service_stores.record("tracker", "sqlite:///x.db", database_url=f"sqlite:///{tmp_path}/r.db")


def test_conversations_naming_a_person_with_non_ascii_letters_go_too(register, tracker_store):
    with session_scope(register) as s:  # 10003 Bøgdalen Barnehage SA, contact Per Hansen
        requests.create_request(
            s, kind="erasure", channel="rest", customer=customers.get_by_number(s, "10003"),
            verified=True, verification_method="otp_email",
        )  # fmt: skip
    say(tracker_store, "a", "Jeg ringer fra Bøgdalen Barnehage SA")  # stored as B\u00f8gdalen
    say(tracker_store, "b", "skogveien 21 er adressen")
    say(tracker_store, "c", "Per Hansenssen her")  # another name: kept
    cli(register, "customers", "erase", "10003", "--yes")
    assert senders(tracker_store) == {"c"}


def test_the_receipts_address_goes_once_it_is_delivered(register):
    from bot.register import outbox

    with session_scope(register) as s:
        message = outbox.record_notification(
            s, channel="email", to="lise.berg@example.no", body="kvittering",
            status="queued", purpose=outbox.RECEIPT,
        )  # fmt: skip
        other = outbox.record_notification(
            s, channel="email", to="ola.nordmann@example.no", body="x", status="queued"
        )
    with session_scope(register) as s:
        outbox.mark_sent(s, message.id, notifier="smtp")
        outbox.mark_sent(s, other.id, notifier="smtp")
    with session_scope(register) as s:
        assert s.get(OutboxMessage, message.id).to == outbox.SENT_TO_ERASED
        assert s.get(OutboxMessage, other.id).to == "ola.nordmann@example.no"
