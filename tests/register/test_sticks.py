"""What a customer asked for sticks: erasure and opt-outs survive re-imports, consent changes
only through the person or staff with a reason, the ledger and the register agree, erasure
closes its ticket, the extract quotes the policy, and the CLI explains an empty database."""

from __future__ import annotations

import json
import re
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, select, text

from bot.policy import policy_text
from bot.register import consent, customers, requests, suppressions
from bot.register.db import alembic_config, session_scope, upgrade
from bot.register.models import ConsentEvent, Customer, PrivacyRequest, Suppression
from tests.register.test_register import HEADER, cli

DEMO = Path(__file__).resolve().parents[2] / "demo" / "customers.csv"


def flags(url, number):
    with session_scope(url) as s:
        return customers.get_by_number(s, number).marketing


def suppression_list(url):
    rows = json.loads(cli(url, "suppressions", "export", "--json").stdout)
    return {(r["channel"], r["address"]) for r in rows}


def no_contradictions(url):
    with session_scope(url) as s:
        return consent.contradictions(s)


def test_an_erased_customer_never_comes_back_with_a_re_import(register):
    cli(register, "customers", "erase", "10004", "--yes", "--reason", "kundens ønske")
    result = cli(register, "customers", "import", str(DEMO))
    assert "Skipped 1 erased customer(s), never re-imported: 10004" in result.stdout
    with session_scope(register) as s:
        customer = customers.get_by_number(s, "10004")
        assert customer.erased and customer.name is None and customer.phone is None
        assert customer.email is None and customer.address is None
        assert not any(customer.marketing.values())
        assert customers.find_by_contact(s, email="lise.berg@example.no") is None
    # also when the erased row itself is gone (the tombstone is what remembers)
    with session_scope(register) as s:
        s.delete(customers.get_by_number(s, "10004"))
    cli(register, "customers", "import", str(DEMO))
    with session_scope(register) as s:
        assert customers.get_by_number(s, "10004") is None
    assert no_contradictions(register) == []


def test_an_opt_out_survives_a_re_import_that_says_marketing_on(register):
    with session_scope(register) as s:
        suppressions.opt_out(s, channels=["sms"], address="41234567", source_channel="rest")
        suppressions.opt_out(s, channels=["sms"], address="95678901", source_channel="twilio_sms")
    result = cli(register, "customers", "import", str(DEMO))
    assert "Kept marketing sms off for 10002" in result.stdout
    assert "Kept marketing sms off for 10005" in result.stdout
    assert flags(register, "10002") == {"sms": False, "email": False, "post": True}
    assert flags(register, "10005")["sms"] is False and flags(register, "10005")["email"]
    assert {("sms", "+4741234567"), ("sms", "+4795678901")} <= suppression_list(register)
    assert no_contradictions(register) == []


def test_an_import_never_turns_marketing_on_at_a_suppressed_contact_point(register, tmp_path):
    with session_scope(register) as s:
        suppressions.opt_out(s, channels=["email"], address="ny@example.no", source_channel="rest")
    new = tmp_path / "new.csv"
    new.write_text(
        HEADER + "20001,Ny Kunde,Vei 1,1970,Hemnes,90000001,NY@example.no,,true,true,false\n"
    )
    result = cli(register, "customers", "import", str(new))
    assert "Kept marketing email off for 20001" in result.stdout
    assert flags(register, "20001") == {"sms": True, "email": False, "post": False}
    # an existing customer gets a suppressed phone number: its SMS marketing goes off
    with session_scope(register) as s:
        suppressions.opt_out(s, channels=["sms"], address="90000002", source_channel="rest")
    new.write_text(
        HEADER + "20001,Ny Kunde,Vei 1,1970,Hemnes,90000002,ny@example.no,,true,true,false\n"
    )
    result = cli(register, "customers", "import", str(new))
    assert "Kept marketing sms off for 20001" in result.stdout
    assert flags(register, "20001")["sms"] is False
    assert no_contradictions(register) == []


def test_an_import_turns_marketing_off_but_not_back_on(register, tmp_path):
    off = tmp_path / "off.csv"
    on = tmp_path / "on.csv"
    line = "10003,Bøgdalen Barnehage SA,Skogveien 21,1970,Hemnes,004793456789,"
    line += "styrer@bogdalen.example.no,Per Hansen,false,{},false\n"
    off.write_text(HEADER + line.format("false"))
    on.write_text(HEADER + line.format("true"))
    cli(register, "customers", "import", str(off))
    assert flags(register, "10003")["email"] is False
    result = cli(register, "customers", "import", str(on))
    assert "Kept marketing email off for 10003" in result.stdout
    assert flags(register, "10003")["email"] is False
    assert no_contradictions(register) == []


def test_consent_changes_through_staff_only_with_a_reason_and_is_in_the_ledger(register):
    with session_scope(register) as s:
        suppressions.opt_out(s, channels=["sms"], address="41234567", source_channel="rest")
    refused = cli(
        register, "customers", "consent", "10002", "--channel", "sms", "--grant", check=False
    )
    assert refused.returncode != 0 and "--reason" in refused.stderr
    assert flags(register, "10002")["sms"] is False
    done = cli(
        register, "customers", "consent", "10002", "--channel", "sms", "--grant",
        "--reason", "signert samtykkeskjema 3. mai",
    )  # fmt: skip
    assert "now on" in done.stdout
    assert flags(register, "10002")["sms"] is True
    assert ("sms", "+4741234567") not in suppression_list(register)
    cli(register, "customers", "consent", "10002", "--channel", "post", "--withdraw",
        "--reason", "ringte og sa nei takk")  # fmt: skip
    assert flags(register, "10002")["post"] is False
    assert ("post", "bjørkelia 4, 1970 hemnes") in suppression_list(register)
    with session_scope(register) as s:
        events = s.execute(select(ConsentEvent).order_by(ConsentEvent.id)).scalars().all()
        staff = [e for e in events if e.source == "staff"]
        assert [(e.channel, e.granted) for e in staff] == [("sms", True), ("post", False)]
        assert staff[0].reason == "signert samtykkeskjema 3. mai"
        assert staff[0].actor.startswith("staff")
    assert no_contradictions(register) == []


def test_sms_start_and_yes_is_the_person_turning_marketing_back_on(register):
    with session_scope(register) as s:
        suppressions.opt_out(s, channels=["sms"], address="41234567", source_channel="twilio_sms")
    assert flags(register, "10002")["sms"] is False
    with session_scope(register) as s:
        assert suppressions.opt_in(s, channel="sms", address="+4741234567", actor="twilio_sms")
    assert flags(register, "10002")["sms"] is True
    assert ("sms", "+4741234567") not in suppression_list(register)
    assert no_contradictions(register) == []


def test_every_opt_out_and_opt_in_is_a_ledger_event_and_the_list_is_derived(register):
    with session_scope(register) as s:
        suppressions.opt_out(
            s,
            channels=["sms", "email", "post"],
            address="post@hemnesgard.no",
            source_channel="rest",
        )
        suppressions.opt_out(s, channels=["email"], address="x@example.com", source_channel="rest")
        suppressions.opt_in(s, channel="email", address="x@example.com", actor="staff")
        listed = {(x.channel, x.address) for x in s.execute(select(Suppression)).scalars()}
        assert listed == consent.derived_suppressions(s)
        sources = {e.source for e in s.execute(select(ConsentEvent)).scalars()}
        assert {"rest", "staff", "import"} <= sources
        # tampering with the list behind the ledger's back is caught
        s.add(Suppression(channel="sms", address="+4790000009", source_channel="manual"))
        s.flush()
        assert consent.contradictions(s) == ["suppression sms not in the ledger"]
        s.rollback()


def test_make_run_loads_the_demo_customers_only_into_an_empty_register(db_url, tmp_path):
    upgrade(db_url)
    first = cli(db_url, "customers", "import", "--if-empty", str(DEMO))
    assert "Imported: 5 new" in first.stdout
    cli(db_url, "customers", "erase", "10004", "--yes")
    with session_scope(db_url) as s:
        suppressions.opt_out(s, channels=["sms"], address="41234567", source_channel="rest")
    again = cli(db_url, "customers", "import", "--if-empty", str(DEMO))
    assert "nothing imported" in again.stdout
    assert flags(db_url, "10002")["sms"] is False
    make = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "klbot customers import --if-empty demo/customers.csv" in make


def test_erase_closes_the_verified_erasure_ticket_with_what_was_kept(register):
    with session_scope(register) as s:
        customer = customers.get_by_number(s, "10001")
        verified = requests.create_request(
            s, kind="erasure", channel="rest", customer=customer, verified=True,
            verification_method="otp_email", details={"contact_given": "post@hemnesgard.no"},
        ).reference  # fmt: skip
        unverified = requests.create_request(
            s, kind="erasure", channel="rest", customer=customer, verified=False
        ).reference
    result = cli(register, "customers", "erase", "10001", "--yes")
    assert f"Closed {verified} as done" in result.stdout
    assert f"{unverified} is an unverified erasure request: left open" in result.stdout
    shown = json.loads(cli(register, "requests", "show", verified, "--json").stdout)
    assert shown["status"] == "done"
    assert "bokføringsloven" in shown["history"][-1]["reason"]
    assert "notes" not in shown["details"]
    assert "contact_given" not in shown["details"]
    assert "customer_number" in shown["details"]["erasure"]["kept"]
    assert (
        json.loads(cli(register, "requests", "show", unverified, "--json").stdout)["status"]
        == "received"
    )


def test_erase_with_a_named_ticket_closes_that_one(register):
    with session_scope(register) as s:
        customer = customers.get_by_number(s, "10002")
        ref = requests.create_request(
            s, kind="erasure", channel="post", customer=customer
        ).reference
        other = requests.create_request(
            s, kind="access", channel="post", customer=customer
        ).reference
    wrong = cli(register, "customers", "erase", "10002", "--yes", "--request", other, check=False)
    assert wrong.returncode != 0 and "Nothing erased" in wrong.stderr
    assert not flags(register, "10002") == {"sms": False, "email": False, "post": False}
    refused = cli(register, "customers", "erase", "10002", "--yes", "--request", ref, check=False)
    assert refused.returncode != 0 and other in refused.stderr  # answer the access first
    cli(register, "customers", "erase", "10002", "--yes", "--request", ref, "--force")
    with session_scope(register) as s:
        assert requests.get_by_reference(s, ref).status == "done"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_fact_in_the_extract_is_in_the_policy(register):
    with session_scope(register) as s:
        suppressions.opt_out(
            s, channels=["post"], address="Langstranda 12, 1970 Hemnes", source_channel="rest"
        )
    data = json.loads(cli(register, "customers", "export", "10001").stdout)
    policy = _norm(policy_text())
    facts = data["policy"]
    quoted = [line for key, value in facts.items() if key != "source" for line in value]
    assert len(quoted) >= 25
    for line in quoted:
        assert _norm(line) in policy, line
    assert not any("Rekruttering" in line or "IT-tjenester" in line and "ikke" not in line
                   for line in quoted)  # fmt: skip
    assert "så lenge du er kunde" in " ".join(facts["retention"])
    assert "Datatilsynet" in data["supervisory_authority"]
    assert data["marketing_suppressed"] == ["post"]


def test_the_cli_says_plainly_when_the_database_is_not_migrated(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = cli(url, "requests", "list", check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) <= 3
    assert "klbot db upgrade" in result.stderr and str(tmp_path / "empty.db") in result.stderr
    url = "postgresql://postgres:hemmelig@127.0.0.1:1/nowhere"
    result = cli(url, "requests", "list", check=False)
    assert "Traceback" not in result.stderr and "hemmelig" not in result.stderr
    assert "127.0.0.1:1/nowhere" in result.stderr


def test_erasing_leaves_no_flag_or_opt_in_naming_the_person(register):
    with session_scope(register) as s:
        suppressions.opt_out(
            s, channels=["email"], address="Lise.Berg@example.no", source_channel="rest"
        )
        suppressions.opt_in(s, channel="sms", address="94567890", actor="twilio_sms")
    cli(register, "customers", "erase", "10004", "--yes")
    with session_scope(register) as s:
        addresses = {e.address for e in s.execute(select(ConsentEvent)).scalars()}
        assert "+4794567890" not in addresses  # an opt-in need not remember the number
        assert "lise.berg@example.no" in addresses  # the opt-out keeps the list's entry
        customer = s.execute(
            select(Customer).where(Customer.customer_number == "10004")
        ).scalar_one()
        assert not any(customer.marketing.values())
        assert s.execute(select(PrivacyRequest)).first() is not None
    assert no_contradictions(register) == []


def test_migration_0004_derives_the_ledger_from_what_the_register_held(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0002")
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO customers (customer_number, phone, marketing_sms, marketing_email,"
                " marketing_post) VALUES ('1', '+4741234567', 1, 0, 1), ('2', NULL, 0, 0, 0)"
            )
        )
        c.execute(text("UPDATE customers SET erased_at = '2026-01-01 00:00:00' WHERE id = 2"))
        c.execute(
            text(
                "INSERT INTO suppressions (channel, address, source_channel) "
                "VALUES ('email', 'x@example.com', 'rest')"
            )
        )
    engine.dispose()
    upgrade(url)
    with session_scope(url) as s:
        assert consent.contradictions(s) == []
        assert consent.derived_suppressions(s) == {("email", "x@example.com")}
        assert customers.is_erased(s, "2") and not customers.is_erased(s, "1")
        flags = consent.derived_flags(s)
        assert flags == {(1, "sms"): True, (1, "post"): True}
