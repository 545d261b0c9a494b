# ruff: noqa: S105, S106 - test passwords
"""Staff accounts in the register: enrolment, login with the second factor, lock-out,
sessions (idle, absolute, revoked), and ``klbot staff`` through the real console script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest

from bot.register import staff_accounts as sa
from bot.register.db import session_scope
from bot.register.models import AuditEntry

KLBOT = str(Path(sys.executable).parent / "klbot")
EMAIL = "kjell@miljovarme.example.com"
PASSWORD = "riktig hest batteri stift"


@pytest.fixture
def account(register):
    """An enrolled handler: (url, TOTP key, recovery codes)."""
    with session_scope(register) as s:
        _acc, token = sa.add_account(s, EMAIL, name="Kjell Langsrud", role="admin", actor="t")
    with session_scope(register) as s:
        secret, uri = sa.enrol_password(s, token, PASSWORD, PASSWORD)
    assert uri.startswith("otpauth://totp/")
    with session_scope(register) as s:
        codes = sa.enrol_confirm(s, token, pyotp.TOTP(secret).now())
    return register, secret, codes


def login(url, secret, password=PASSWORD, code=None):
    """Password, then a code; without ``code`` as if the last code's 30 s had passed."""
    if code is None:
        with session_scope(url) as s:
            sa.get_account(s, EMAIL).totp_last_step = None
    with session_scope(url) as s:
        pending = sa.check_password(s, EMAIL, password)
        if pending is None:
            return None
        token = pending.token
    with session_scope(url) as s:
        row = sa.session_for(s, token, stage="password")
        assert row is not None
        full = sa.check_code(s, row, code or pyotp.TOTP(secret).now())
        return full.token if full else None


def test_enrolment_link_is_single_use_and_expires(register):
    with session_scope(register) as s:
        _acc, token = sa.add_account(s, EMAIL, name="K", role="handler", actor="t")
    with session_scope(register) as s:
        with pytest.raises(sa.StaffError, match="minst 12"):
            sa.enrol_password(s, token, "kort", "kort")
        secret, _ = sa.enrol_password(s, token, PASSWORD, PASSWORD)
    with session_scope(register) as s:
        with pytest.raises(sa.StaffError):
            sa.enrol_confirm(s, token, "000000" if pyotp.TOTP(secret).now() != "000000" else "1")
        codes = sa.enrol_confirm(s, token, pyotp.TOTP(secret).now())
    assert len(codes) == 10 and len(set(codes)) == 10
    with session_scope(register) as s:
        assert sa.enrolment(s, token) is None  # used
        with pytest.raises(sa.StaffError):
            sa.enrol_password(s, token, PASSWORD + "x", PASSWORD + "x")
        # the register keeps hashes only
        acc = sa.get_account(s, EMAIL)
        assert acc.password_hash.startswith("$argon2id$")
        assert not any(c.replace("-", "") in str(acc.recovery_codes) for c in codes)
        _acc, token2 = sa.reset_account(s, EMAIL, actor="t")
    with session_scope(register) as s:
        assert sa.enrolment(s, token2) is not None
        later = sa.utcnow() + timedelta(hours=24, seconds=1)
        assert sa.enrolment(s, token2, now=later) is None


def test_login_needs_password_and_code_and_a_code_works_once(account):
    url, secret, codes = account
    assert login(url, secret, password="feil passord her") is None
    token = login(url, secret)
    assert token
    code = pyotp.TOTP(secret).now()
    # the same code a second time (a replay) is refused
    assert login(url, secret, code=code) is None
    with session_scope(url) as s:
        assert sa.session_for(s, token) is not None
        # the pending (password-only) session is no full session
        pending = sa.check_password(s, EMAIL, PASSWORD)
        assert sa.session_for(s, pending.token) is None
    # a recovery code works once
    assert login(url, secret, code=codes[0])
    assert login(url, secret, code=codes[0]) is None


def test_unknown_email_and_wrong_password_take_the_same_time(account):
    import statistics
    import time

    url, _secret, _codes = account

    def took(email):
        times = []
        for _ in range(5):
            with session_scope(url) as s:
                start = time.perf_counter()
                assert sa.check_password(s, email, "feil passord her") is None
                times.append(time.perf_counter() - start)
                s.rollback()  # no failed-login count: the account must not lock
        return statistics.median(times)

    unknown, known = took("nobody@example.com"), took(EMAIL)
    assert known > 0.005  # Argon2 work is done at all
    assert 0.6 < unknown / known < 1.6, (unknown, known)


def test_ten_failures_lock_until_unlocked_and_it_is_audited(account):
    url, secret, _codes = account
    for _ in range(10):
        assert login(url, secret, password="feil passord her") is None
    assert login(url, secret) is None  # the right password no longer works
    with session_scope(url) as s:
        assert sa.get_account(s, EMAIL).state == "låst"
        sa.unlock_account(s, EMAIL, actor="cli:test")
    assert login(url, secret)
    with session_scope(url) as s:
        actions = [e.action for e in s.query(AuditEntry).filter_by(entity="staff")]
    assert "staff_locked" in actions and "staff_unlock" in actions


def test_sessions_idle_absolute_logout_and_disable(account):
    url, secret, _ = account
    token = login(url, secret)
    with session_scope(url) as s:
        now = sa.utcnow()
        assert sa.session_for(s, token, now=now + timedelta(minutes=29)) is not None
    with session_scope(url) as s:
        assert sa.session_for(s, token, now=sa.utcnow() + timedelta(minutes=61)) is None
    with session_scope(url) as s:  # an idle-expired session stays ended
        assert sa.session_for(s, token) is None
    token = login(url, secret)
    with session_scope(url) as s:
        row = sa.session_for(s, token)
        row.last_seen_at = sa.utcnow() + timedelta(hours=12)  # kept busy all day
        assert sa.session_for(s, token, now=sa.utcnow() + timedelta(hours=12, minutes=1)) is None
    token = login(url, secret)
    with session_scope(url) as s:
        sa.end_session(s, token)
    with session_scope(url) as s:
        assert sa.session_for(s, token) is None
    token = login(url, secret)
    with session_scope(url) as s:
        sa.disable_account(s, EMAIL, actor="t")
    with session_scope(url) as s:
        assert sa.session_for(s, token) is None
    assert login(url, secret) is None


def test_fresh_only_within_five_minutes(account):
    url, secret, _ = account
    token = login(url, secret)
    with session_scope(url) as s:
        row = sa.session_for(s, token)
        assert row.fresh()
        assert not row.fresh(sa.utcnow() + timedelta(minutes=6))


def cli(url, *args, check=True):
    env = {
        **os.environ,
        "KLBOT_DATABASE_URL": url,
        "KLBOT_STAFF_URL": "https://inbox.example",
        "COLUMNS": "200",
    }
    return subprocess.run(  # noqa: S603
        [KLBOT, "staff", *args], env=env, capture_output=True, text=True, check=check
    )


def test_klbot_staff_add_list_disable_reset(register):
    out = cli(register, "add", EMAIL, "--name", "Kjell [bold]L[/bold]", "--role", "admin").stdout
    link = re.search(r"^https://inbox\.example/enrol/(\S+)$", out, re.M)
    assert link, out
    with session_scope(register) as s:
        assert sa.enrolment(s, link.group(1)) is not None
    assert cli(register, "add", EMAIL, "--name", "X", check=False).returncode == 1
    assert (
        cli(
            register, "add", "y@example.com", "--name", "Y", "--role", "boss", check=False
        ).returncode
        == 1
    )
    listed = cli(register, "list").stdout
    assert EMAIL in listed and "[bold]L[/bold]" in listed  # Rich markup printed, not run
    assert "venter på innmelding" in listed
    cli(register, "disable", EMAIL)
    with session_scope(register) as s:
        assert sa.enrolment(s, link.group(1)) is None
    out = cli(register, "reset", EMAIL).stdout
    new = re.search(r"^https://inbox\.example/enrol/(\S+)$", out, re.M).group(1)
    with session_scope(register) as s:
        assert sa.enrolment(s, new) is not None
    assert cli(register, "unlock", "nobody@example.com", check=False).returncode == 1


def test_retention_deletes_sessions_ended_more_than_a_day_ago(account):
    from bot.register.retention import purge

    url, secret, _ = account
    old, live = login(url, secret), login(url, secret)
    with session_scope(url) as s:
        sa.session_for(s, old).revoked_at = sa.utcnow() - timedelta(days=2)
    with session_scope(url) as s:
        assert purge(s, dry_run=True)["ended staff sessions"] >= 1
    with session_scope(url) as s:
        purge(s)
    with session_scope(url) as s:
        assert s.get(sa.StaffSession, sa._sha(old)) is None
        assert sa.session_for(s, live) is not None
