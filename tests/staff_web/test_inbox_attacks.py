# ruff: noqa: S105, S106 - test passwords
"""The staff inbox as a real process (``python -m bot.staff_web``) on a fresh register,
driven over HTTP: enrolment from a ``klbot staff add`` link, login with the second factor,
working a ticket, and each attack of issue 20 performed and refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pyotp
import pytest

from bot.register import requests, staff_accounts
from bot.register.db import session_scope
from bot.register.models import OutboxMessage
from tests.support.servers import ROOT, free_port, wait_http
from tests.support.tracker import make_tracker_store

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
EMAIL = "kjell@miljovarme.example.com"
PASSWORD = "varmepumpe og fjernvarme"
XSS = "<img src=x onerror=alert(1)>"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Inbox:
    def __init__(self, url, db, env):
        self.url, self.db, self.env = url, db, env

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    def klbot(self, *args, check=True):
        return subprocess.run(  # noqa: S603
            [str(BIN / "klbot"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=check,
        )

    def forget_last_code(self, email=EMAIL):
        """As if the last code's 30 seconds had passed (a code works once)."""
        with session_scope(self.db) as s:
            staff_accounts.get_account(s, email).totp_last_step = None


def start_inbox(tmp_path, **extra) -> tuple:
    db = f"sqlite:///{tmp_path / 'register.db'}"
    port = free_port()
    env = {
        **os.environ,
        "KLBOT_DATABASE_URL": db,
        "KLBOT_STAFF_URL": f"http://127.0.0.1:{port}",
        "KLBOT_STAFF_EMAIL": "personvern@miljovarme.example.com",
        "KLBOT_RATE_LIMITS": "off",
        # the conversation store as the Rasa server leaves it (the erasure clears it too)
        "KLBOT_TRACKER_STORE_URL": make_tracker_store(tmp_path / "conversations.db"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    subprocess.run(  # noqa: S603
        [str(BIN / "klbot"), "db", "upgrade"], env=env, check=True, capture_output=True
    )
    subprocess.run(  # noqa: S603
        [str(BIN / "klbot"), "customers", "import", str(ROOT / "demo" / "customers.csv")],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bot.staff_web", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_http(f"http://127.0.0.1:{port}/login", 60, proc)
    return Inbox(f"http://127.0.0.1:{port}", db, env), proc


def stop(proc):
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    running, proc = start_inbox(tmp_path_factory.mktemp("inbox"))
    yield running
    log = stop(proc)
    assert "Traceback" not in log, log
    assert EMAIL not in log and PASSWORD not in log  # no personal data or secret logged


def csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def enrol(inbox: Inbox, email: str = EMAIL, role: str = "admin") -> str:
    """``klbot staff add`` → the link → password → key → code: returns the TOTP key."""
    out = inbox.klbot("staff", "add", email, "--name", "Kjell Langsrud", "--role", role).stdout
    link = re.search(r"^(http://\S+/enrol/\S+)$", out, re.M).group(1)
    with inbox.client() as c:
        page = c.get(link.replace(inbox.url, ""))
        assert page.status_code == 200, page.text
        step = c.post(
            link.replace(inbox.url, ""),
            data={
                "csrf_token": csrf(page.text),
                "password": PASSWORD,
                "password_confirm": PASSWORD,
            },
        )
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', step.text).group(1)
        # the key as a QR code too, drawn inline (no image fetched, nothing the CSP refuses)
        assert "<svg" in step.text and "<img" not in step.text
        assert step.headers["content-security-policy"].startswith("default-src 'self'")
        done = c.post(
            link.replace(inbox.url, ""),
            data={"csrf_token": csrf(step.text), "code": pyotp.TOTP(secret).now()},
        )
        assert "recovery-codes" in done.text, done.text
        assert len(re.findall(r"<li><code>", done.text)) == 10
        # the link is used up
        assert c.get(link.replace(inbox.url, "")).status_code == 404
    return secret


def login(inbox: Inbox, secret: str, email: str = EMAIL, password: str = PASSWORD):
    """A client signed in with password and code (or an assertion error)."""
    inbox.forget_last_code(email)
    c = inbox.client()
    page = c.get("/login")
    step = c.post(
        "/login", data={"csrf_token": csrf(page.text), "email": email, "password": password}
    )
    assert 'name="code"' in step.text, step.text
    done = c.post(
        "/login/code", data={"csrf_token": csrf(step.text), "code": pyotp.TOTP(secret).now()}
    )
    assert done.status_code == 303 and done.headers["location"] == "/", done.text
    return c


@pytest.fixture(scope="module")
def secret(inbox):
    return enrol(inbox)


def ticket(inbox: Inbox, kind="access", who=("ola.nordmann@example.no", "+4741234567"), **details):
    return requests.submit_request(
        kind=kind,
        channel="twilio_sms",
        identifier=who[0],
        verified=True,
        verification_method="otp_email",
        proven_phone=who[1],
        details=details,
        url=inbox.db,
    ).reference


def status_of(inbox: Inbox, ref: str) -> str:
    with session_scope(inbox.db) as s:
        return requests.get_by_reference(s, ref).status


def test_login_works_and_sets_safe_cookies_and_headers(inbox, secret):
    c = inbox.client()
    page = c.get("/login")
    for header, value in {
        "content-security-policy": "default-src 'self'",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }.items():
        assert value in page.headers[header]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    step = c.post(
        "/login", data={"csrf_token": csrf(page.text), "email": EMAIL, "password": PASSWORD}
    )
    inbox.forget_last_code()
    done = c.post(
        "/login/code", data={"csrf_token": csrf(step.text), "code": pyotp.TOTP(secret).now()}
    )
    cookie = (
        done.headers["set-cookie"]
        if "klstaff_session" in done.headers.get("set-cookie", "")
        else ";".join(done.headers.get_list("set-cookie"))
    )
    assert "klstaff_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    queue = c.get("/")
    assert queue.status_code == 200 and "Saker" in queue.text
    c.close()


def test_every_page_and_action_without_a_session_is_refused(inbox, secret):
    ref = ticket(inbox)
    with inbox.client() as c:
        for path in (
            "/",
            f"/requests/{ref}",
            f"/requests/{ref}/extract",
            "/api/latest",
            "/reauth",
            f"/requests/{ref}/extract.json",
        ):
            answer = c.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/login"), path
        for action in ("take", "start", "done", "reject", "extend", "note", "verify"):
            answer = c.post(f"/requests/{ref}/{action}", data={"reason": "x", "text": "x"})
            assert answer.status_code == 403, action
        assert c.post("/logout").status_code == 403
    assert status_of(inbox, ref) == "verified"


def test_a_post_without_its_csrf_token_changes_nothing(inbox, secret):
    ref = ticket(inbox)
    c = login(inbox, secret)
    assert c.post(f"/requests/{ref}/start").status_code == 403
    assert c.post(f"/requests/{ref}/start", data={"csrf_token": "x" * 43}).status_code == 403
    assert status_of(inbox, ref) == "verified"
    # the login form itself needs its token too
    with inbox.client() as anon:
        anon.get("/login")
        refused = anon.post("/login", data={"email": EMAIL, "password": PASSWORD})
        assert refused.status_code == 403
    # with the token the same POST works (the test can fail)
    page = c.get(f"/requests/{ref}")
    assert c.post(f"/requests/{ref}/start", data={"csrf_token": csrf(page.text)}).status_code == 303
    assert status_of(inbox, ref) == "in_progress"
    c.close()


def test_the_second_factor_cannot_be_skipped(inbox, secret):
    c = inbox.client()
    page = c.get("/login")
    step = c.post(
        "/login", data={"csrf_token": csrf(page.text), "email": EMAIL, "password": PASSWORD}
    )
    assert 'name="code"' in step.text
    pending = c.cookies.get("klstaff_pending")
    assert pending
    assert c.get("/").status_code == 303  # the password alone opens nothing
    with inbox.client() as forged:  # the pending id used as a full session
        forged.cookies.set("klstaff_session", pending)
        assert forged.get("/").status_code == 303
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    again = c.post("/login/code", data={"csrf_token": csrf(step.text), "code": wrong})
    assert again.status_code == 200 and "stemmer ikke" in again.text
    assert c.get("/").status_code == 303
    c.close()


def test_an_old_session_is_dead_after_logout(inbox, secret):
    c = login(inbox, secret)
    token = c.cookies.get("klstaff_session")
    page = c.get("/")
    assert page.status_code == 200
    assert c.post("/logout", data={"csrf_token": csrf(page.text)}).status_code == 303
    with inbox.client() as replay:
        replay.cookies.set("klstaff_session", token)
        assert replay.get("/").status_code == 303
    c.close()


def test_the_extract_needs_a_fresh_login(inbox, secret):
    ref = ticket(inbox, "access")
    c = login(inbox, secret)
    token = c.cookies.get("klstaff_session")
    with session_scope(inbox.db) as s:  # signed in six minutes ago
        row = staff_accounts.session_for(s, token)
        row.authenticated_at = row.authenticated_at - timedelta(minutes=6)
    answer = c.get(f"/requests/{ref}/extract")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/reauth")
    assert c.get(f"/requests/{ref}/extract.json").status_code == 303
    page = c.get(answer.headers["location"])
    inbox.forget_last_code()
    again = c.post(
        "/reauth",
        data={
            "csrf_token": csrf(page.text),
            "password": PASSWORD,
            "code": pyotp.TOTP(secret).now(),
            "next": f"/requests/{ref}/extract",
        },
    )
    assert again.status_code == 303 and again.headers["location"] == f"/requests/{ref}/extract"
    extract = c.get(f"/requests/{ref}/extract.json")
    assert extract.status_code == 200 and '"customer_number"' in extract.text
    assert "attachment" in extract.headers["content-disposition"]
    c.close()


def test_customer_text_is_escaped(inbox, secret):
    ref = ticket(inbox, "complaint", about=XSS, request_details='=HYPERLINK("http://x","y")')
    c = login(inbox, secret)
    page = c.get(f"/requests/{ref}")
    assert page.status_code == 200
    assert XSS not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
    note = c.post(
        f"/requests/{ref}/note",
        data={"csrf_token": csrf(page.text), "text": "<script>alert(2)</script>"},
    )
    assert note.status_code == 303
    page = c.get(f"/requests/{ref}")
    assert "<script>alert(2)" not in page.text and "&lt;script&gt;alert(2)" in page.text
    c.close()


def test_a_ticket_is_worked_to_done_and_the_customer_notice_queued(inbox, secret):
    ref = ticket(inbox, "restriction")
    c = login(inbox, secret)
    queue = c.get("/")
    assert ref in queue.text and re.search(r"om \d+ dager", queue.text)
    for action in ("take", "start"):
        page = c.get(f"/requests/{ref}")
        answer = c.post(f"/requests/{ref}/{action}", data={"csrf_token": csrf(page.text)})
        assert answer.status_code == 303, (action, answer.text)
    # a restriction is done only with its mark on the customer (the register's use case)
    page = c.get(f"/requests/{ref}")
    refused = c.post(f"/requests/{ref}/done", data={"csrf_token": csrf(page.text)})
    assert refused.status_code == 400 and "merket" in refused.text
    assert "klbot" not in refused.text  # staff in the inbox are not sent to a terminal
    marked = c.post(f"/requests/{ref}/mark", data={"csrf_token": csrf(page.text),
                                                   "covers": ["marketing", "surveys"]})  # fmt: skip
    assert marked.status_code == 303, marked.text
    assert status_of(inbox, ref) == "done"
    with session_scope(inbox.db) as s:
        from bot.register.casework import is_marked

        customer = requests.get_by_reference(s, ref).customer
        assert is_marked(s, customer.id, "marketing") and is_marked(s, customer.id, "surveys")
        assert not is_marked(s, customer.id, "analyses")
    page = c.get(f"/requests/{ref}")
    assert "Kjell Langsrud" in page.text and "ferdig" in page.text
    # assigning to someone: a number that is no active account is refused
    other = ticket(inbox, "objection")
    page = c.get(f"/requests/{other}")
    bad = c.post(f"/requests/{other}/assign", data={"csrf_token": csrf(page.text),
                                                    "account_id": "999"})  # fmt: skip
    assert bad.status_code == 400
    me = re.search(r'<option value="(\d+)">Kjell Langsrud</option>', page.text).group(1)
    good = c.post(f"/requests/{other}/assign", data={"csrf_token": csrf(page.text),
                                                     "account_id": me})  # fmt: skip
    assert good.status_code == 303
    assert other in c.get("/", params={"tab": "mine"}).text
    with session_scope(inbox.db) as s:
        notices = [
            m for m in s.query(OutboxMessage) if ref in (m.body or "") and "registrert" in m.body
        ]
    assert notices, "no closing notice queued"
    assert ref in c.get("/?tab=closed").text
    # the closing answer as a printable letter, for a customer without e-mail
    letter = c.get(f"/requests/{ref}/letter")
    assert letter.status_code == 200
    for words in ("Langstranda 571", f"Vår referanse: {ref}"):
        assert words in letter.text, words
    c.close()


def test_ten_wrong_passwords_lock_the_account_with_the_same_words(tmp_path):
    inbox, proc = start_inbox(tmp_path)
    try:
        secret = enrol(inbox)
        with inbox.client() as c:
            answers = []
            for email in ["nobody@example.com"] + [EMAIL] * 10:
                page = c.get("/login")
                started = time.perf_counter()
                answer = c.post(
                    "/login",
                    data={
                        "csrf_token": csrf(page.text),
                        "email": email,
                        "password": "feil passord igjen",
                    },
                )
                answers.append(
                    (
                        answer.status_code,
                        time.perf_counter() - started,
                        re.search(r'class="error"[^>]*>([^<]+)<', answer.text).group(1),
                    )
                )
            assert len({(status, words) for status, _t, words in answers}) == 1, answers
            unknown, known = answers[0][1], sorted(t for _s, t, _w in answers[1:])[5]
            assert 0.4 < unknown / known < 2.5, (unknown, known)
            page = c.get("/login")
            right = c.post(
                "/login", data={"csrf_token": csrf(page.text), "email": EMAIL, "password": PASSWORD}
            )
            assert 'name="code"' not in right.text  # locked: the right password is refused
        with session_scope(inbox.db) as s:
            assert staff_accounts.get_account(s, EMAIL).state == "låst"
        inbox.klbot("staff", "unlock", EMAIL)
        login(inbox, secret).close()
    finally:
        stop(proc)


def test_logins_are_limited_per_client_address(tmp_path):
    inbox, proc = start_inbox(tmp_path, KLBOT_RATE_LIMITS="on")
    try:
        with inbox.client() as c:
            codes = []
            for _ in range(12):
                page = c.get("/login")
                codes.append(
                    c.post(
                        "/login",
                        data={
                            "csrf_token": csrf(page.text),
                            "email": "x@example.com",
                            "password": "y" * 12,
                        },
                    ).status_code
                )
        assert codes[:10] == [200] * 10 and codes[10:] == [429, 429], codes
    finally:
        stop(proc)


def test_a_disabled_account_loses_its_sessions(tmp_path):
    inbox, proc = start_inbox(tmp_path)
    try:
        secret = enrol(inbox, "ansatt@miljovarme.example.com", role="handler")
        c = login(inbox, secret, email="ansatt@miljovarme.example.com")
        assert c.get("/").status_code == 200
        inbox.klbot("staff", "disable", "ansatt@miljovarme.example.com")
        assert c.get("/").status_code == 303
        c.close()
    finally:
        stop(proc)


def test_erasure_needs_a_fresh_login_the_customer_number_and_closes_the_ticket(inbox, secret):
    from bot.register.lookup import get_by_number

    ref = ticket(inbox, "erasure", who=("lise.berg@example.no", "+4794567890"))
    with session_scope(inbox.db) as s:
        number = requests.get_by_reference(s, ref).customer.customer_number
    c = login(inbox, secret)
    page = c.get(f"/requests/{ref}")
    # "done" is no shortcut past the erasure
    assert c.post(f"/requests/{ref}/done", data={"csrf_token": csrf(page.text)}).status_code == 400
    token = c.cookies.get("klstaff_session")
    with session_scope(inbox.db) as s:
        row = staff_accounts.session_for(s, token)
        row.authenticated_at = row.authenticated_at - timedelta(minutes=6)
    stale = c.get(f"/requests/{ref}/erase")
    assert stale.status_code == 303 and stale.headers["location"].startswith("/reauth")
    refused = c.post(
        f"/requests/{ref}/erase", data={"csrf_token": csrf(page.text), "customer_number": number}
    )
    assert refused.status_code == 403
    with session_scope(inbox.db) as s:
        assert not get_by_number(s, number).erased
    reauth = c.get(stale.headers["location"])
    inbox.forget_last_code()
    c.post(
        "/reauth",
        data={"csrf_token": csrf(reauth.text), "password": PASSWORD,
              "code": pyotp.TOTP(secret).now(), "next": "/"},
    )  # fmt: skip
    form = c.get(f"/requests/{ref}/erase")
    assert form.status_code == 200 and "bokføringsloven" in form.text
    wrong = c.post(
        f"/requests/{ref}/erase", data={"csrf_token": csrf(form.text), "customer_number": "99999"}
    )
    assert wrong.status_code == 400
    with session_scope(inbox.db) as s:
        assert not get_by_number(s, number).erased
    done = c.post(
        f"/requests/{ref}/erase", data={"csrf_token": csrf(form.text), "customer_number": number}
    )
    assert done.status_code == 303, done.text
    with session_scope(inbox.db) as s:
        assert get_by_number(s, number).erased
    assert status_of(inbox, ref) == "done"
    c.close()


def test_customer_lookup_is_audited_and_the_suppression_csv_runs_no_formula(inbox, secret):
    from bot.register.models import AuditEntry, Suppression

    with session_scope(inbox.db) as s:
        s.add(Suppression(channel="email", address='=HYPERLINK("http://x","y")'))
        s.add(Suppression(channel="sms", address="+4799999999"))
    c = login(inbox, secret)
    page = c.get("/customers", params={"q": "10001"})
    assert page.status_code == 200 and "kundenr. 10001" in page.text
    with session_scope(inbox.db) as s:
        views = s.query(AuditEntry).filter_by(entity="customer", action="view").all()
        assert views and views[-1].actor.startswith("staff#")
    sheet = c.get("/suppressions.csv")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    cells = [line.split(",", 1)[1] for line in sheet.text.splitlines()[1:]]
    assert any(cell.startswith("\"'=HYPERLINK") for cell in cells), cells
    assert "+4799999999," in sheet.text  # a phone number stays as the marketing tool needs it
    formulas = [c for c in cells if c.lstrip('"').startswith(("=", "-", "@"))]
    assert not formulas, cells
    c.close()


def test_a_handler_cannot_manage_staff_but_an_admin_can(inbox, secret):
    admin = login(inbox, secret)
    page = admin.get("/staff")
    assert page.status_code == 200
    made = admin.post(
        "/staff/add",
        data={"csrf_token": csrf(page.text), "email": "hjelp@miljovarme.example.com",
              "name": "Hanne Hjelper", "role": "handler"},
    )  # fmt: skip
    assert made.status_code == 200 and 'id="enrol-link"' in made.text
    admin.close()
    link = re.search(r'id="enrol-link" class="pre">([^<]+)<', made.text).group(1)
    with inbox.client() as c:
        form = c.get(link.replace(inbox.url, ""))
        step = c.post(
            link.replace(inbox.url, ""),
            data={"csrf_token": csrf(form.text), "password": PASSWORD,
                  "password_confirm": PASSWORD},
        )  # fmt: skip
        key = re.search(r'id="totp-secret">([A-Z2-7]+)<', step.text).group(1)
        c.post(
            link.replace(inbox.url, ""),
            data={"csrf_token": csrf(step.text), "code": pyotp.TOTP(key).now()},
        )
    handler = login(inbox, key, email="hjelp@miljovarme.example.com")
    assert handler.get("/staff").status_code == 403
    page = handler.get("/")
    refused = handler.post("/staff/disable", data={"csrf_token": csrf(page.text), "email": EMAIL})
    assert refused.status_code == 403
    with session_scope(inbox.db) as s:
        assert staff_accounts.get_account(s, EMAIL).disabled_at is None
    handler.close()


def test_an_idle_session_ends_and_next_cannot_lead_off_the_site(inbox, secret):
    c = login(inbox, secret)
    token = c.cookies.get("klstaff_session")
    with session_scope(inbox.db) as s:
        row = staff_accounts.session_for(s, token)
        row.last_seen_at = row.last_seen_at - timedelta(minutes=31)
    assert c.get("/").status_code == 303
    c.close()
    # the queue's background poll does not keep an idle session alive
    c = login(inbox, secret)
    token = c.cookies.get("klstaff_session")
    with session_scope(inbox.db) as s:
        row = staff_accounts.session_for(s, token)
        row.last_seen_at = row.last_seen_at - timedelta(minutes=29)
    assert c.get("/api/latest").status_code == 200
    with session_scope(inbox.db) as s:
        row = staff_accounts.session_for(s, token, touch=False)
        row.last_seen_at = row.last_seen_at - timedelta(minutes=2)
    assert c.get("/").status_code == 303
    c.close()
    # an attacker's link to the login that would send staff elsewhere afterwards
    inbox.forget_last_code()
    with inbox.client() as c:
        page = c.get("/login", params={"next": "//evil.example/phish"})
        assert "evil.example" not in page.text
        step = c.post(
            "/login",
            data={"csrf_token": csrf(page.text), "email": EMAIL, "password": PASSWORD,
                  "next": "https://evil.example/"},
        )  # fmt: skip
        done = c.post(
            "/login/code",
            data={"csrf_token": csrf(step.text), "code": pyotp.TOTP(secret).now(),
                  "next": "//evil.example/"},
        )  # fmt: skip
        assert done.status_code == 303 and done.headers["location"] == "/"


def test_outside_development_the_cookies_are_secure(tmp_path):
    inbox, proc = start_inbox(tmp_path, KLBOT_ENV="production", KLBOT_STAFF_SECRET="s" * 40)
    try:
        with inbox.client() as c:
            cookie = c.get("/login").headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    finally:
        stop(proc)


def test_a_correction_is_applied_to_the_register_from_the_inbox(inbox, secret):
    from bot.register.lookup import get_by_number

    ref = ticket(inbox, "correction", field="contact_person", new_value="Jon Fjell")
    c = login(inbox, secret)
    page = c.get(f"/requests/{ref}")
    assert "Skriv inn den nye verdien" in page.text
    refused = c.post(f"/requests/{ref}/done", data={"csrf_token": csrf(page.text)})
    assert refused.status_code == 400 and "Skriv inn den nye verdien" in refused.text
    assert status_of(inbox, ref) != "done"
    applied = c.post(f"/requests/{ref}/apply", data={"csrf_token": csrf(page.text)})
    assert applied.status_code == 303, applied.text
    assert status_of(inbox, ref) == "done"
    with session_scope(inbox.db) as s:
        assert get_by_number(s, "10002").contact_person == "Jon Fjell"
        told = [m for m in s.query(OutboxMessage) if ref in (m.body or "") and "rettet" in m.body]
    assert told, "the customer is not told what changed"
    c.close()


def test_a_possible_breach_is_flagged_in_the_queue_with_the_72_hour_clock(inbox, secret):
    ref = requests.submit_request(
        kind="complaint", channel="rest", identifier="brudd@example.com", verified=False,
        details={"about": "Noen andre fikk brevet mitt med fakturaen"}, url=inbox.db,
    ).reference  # fmt: skip
    calm = requests.submit_request(
        kind="complaint", channel="rest", identifier="rolig@example.com", verified=False,
        details={"about": "Fakturaen var for høy"}, url=inbox.db,
    ).reference  # fmt: skip
    assert calm != ref
    c = login(inbox, secret)
    queue = c.get("/").text + c.get("/", params={"tab": "unverified"}).text
    row = queue[queue.index(ref) :][:700]
    assert "Mulig brudd" in row and re.search(r"\b7[01] timer igjen av 72", row), row
    calm_row = queue[queue.index(calm) :][:500]
    assert "Mulig brudd" not in calm_row.split("</li>")[0]
    assert "Datatilsynet" in c.get(f"/requests/{ref}").text
    c.close()


def test_an_extension_is_once_and_the_customer_is_told_why(inbox, secret):
    ref = ticket(inbox, "portability")
    c = login(inbox, secret)
    page = c.get(f"/requests/{ref}")
    token = csrf(page.text)
    first = c.post(
        f"/requests/{ref}/extend", data={"csrf_token": token, "reason": "Mange systemer å sjekke"}
    )
    assert first.status_code == 303
    again = c.post(f"/requests/{ref}/extend", data={"csrf_token": token, "reason": "Igjen"})
    assert again.status_code == 400 and "allerede forlenget" in again.text
    with session_scope(inbox.db) as s:
        told = [m for m in s.query(OutboxMessage) if ref in m.body and "Ny frist" in m.body]
    assert len(told) == 1 and "Mange systemer å sjekke" in told[0].body  # once, not twice
    c.close()


def test_a_mark_shows_on_the_customer_and_is_lifted_only_with_a_decision(inbox, secret):
    from bot.register.casework import is_marked
    from bot.register.lookup import get_by_number

    ref = ticket(inbox, "objection")
    c = login(inbox, secret)
    page = c.get(f"/requests/{ref}")
    marked = c.post(
        f"/requests/{ref}/mark", data={"csrf_token": csrf(page.text), "covers": "analyses"}
    )
    assert marked.status_code == 303, marked.text
    customer = c.get("/customers", params={"q": "10002"})
    assert "protest: analyser" in customer.text, customer.text
    token = csrf(customer.text)
    bare = c.post("/customers/10002/lift-mark", data={"csrf_token": token, "covers": "analyses"})
    assert bare.status_code == 400 and "beslutningen" in bare.text.lower()
    with session_scope(inbox.db) as s:
        assert is_marked(s, get_by_number(s, "10002").id, "analyses")
    lifted = c.post(
        "/customers/10002/lift-mark",
        data={"csrf_token": token, "covers": "analyses", "reason": "Kunden trakk protesten"},
    )
    assert lifted.status_code == 303
    with session_scope(inbox.db) as s:
        assert not is_marked(s, get_by_number(s, "10002").id, "analyses")
    c.close()
