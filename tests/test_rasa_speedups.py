"""The faster action-response check is installed in one place (the tracker store every Rasa
server creates), only on the Rasa version it was measured on, and still refuses what Rasa's
refuses."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_speedups
from bot.stores.tracker import ConfiguredTrackerStore


@pytest.fixture
def rasa_check(monkeypatch):
    """Rasa's own check in place, as before any server started; restored afterwards."""
    original = rasa_speedups.rasa_check or RemoteAction.__dict__["_validate_action_result"]
    assert original is not rasa_speedups._validate_action_result
    monkeypatch.setattr(RemoteAction, "_validate_action_result", original)
    return original


@pytest.fixture
def remote_action(rasa_check, monkeypatch, tmp_path):
    monkeypatch.setenv("KLBOT_TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'conversations.db'}")
    ConfiguredTrackerStore()  # what the Rasa server creates from endpoints.yml
    return RemoteAction("validate_opt_out_form", EndpointConfig("http://127.0.0.1:1/webhook"))


@pytest.mark.slow
def test_importing_our_modules_does_not_install_it():
    """In a fresh interpreter: importing the channels and stores changes nothing in Rasa."""
    code = (
        "import bot.channels.rest, bot.channels.webchat, bot.stores.tracker, bot.stores.lock\n"
        "from rasa.core.actions.action import RemoteAction\n"
        "from bot import rasa_speedups\n"
        "print(RemoteAction._validate_action_result is rasa_speedups._validate_action_result)\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_creating_the_tracker_store_installs_the_cached_check(remote_action):
    assert type(remote_action)._validate_action_result is rasa_speedups._validate_action_result


def test_another_rasa_version_is_left_alone_with_one_log_line(rasa_check, monkeypatch, caplog):
    monkeypatch.setattr(rasa_speedups, "RASA_VERSION", "3.7.0")
    with caplog.at_level(logging.INFO, logger="bot.rasa_speedups"):
        assert rasa_speedups.install() is False
    assert RemoteAction._validate_action_result is rasa_check
    assert len(caplog.records) == 1 and "3.7.0" in caplog.text


def test_a_valid_response_passes(remote_action):
    good = {
        "events": [{"event": "slot", "name": "marketing_channel", "value": ["sms"]}],
        "responses": [{"response": "utter_ask_contact_point"}],
    }
    assert remote_action._validate_action_result(good) is True


@pytest.mark.parametrize(
    "bad",
    [
        {"events": "not a list"},
        {"events": [{"event": "no_such_event"}]},
        {"responses": ["not an object"]},
        ["not", "an", "object"],
    ],
)
def test_an_invalid_response_is_refused_as_by_rasa(remote_action, bad):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        remote_action._validate_action_result(bad)


def test_the_rule_key_cache_holds_every_key_of_a_large_model(remote_action):
    """Rasa's own cache holds 1000 keys; our model has about 2500 (and 529 for the forms), tested
    in the same order on every prediction: with Rasa's cache each pass parses every key again."""
    from rasa.core.policies.rule_policy import RulePolicy

    parse = RulePolicy._rule_key_to_state
    assert parse is rasa_speedups._rule_key_to_state
    keys = [json.dumps([{"prev_action": {"action_name": f"a{i}"}}]) for i in range(3000)]
    parse.cache_clear()
    for _ in range(3):
        for key in keys:
            assert parse(key) == json.loads(key)
    assert parse.cache_info().misses == len(keys)


def test_another_rasa_version_keeps_rasas_rule_key_parser(rasa_check, monkeypatch):
    from rasa.core.policies.rule_policy import RulePolicy

    before = RulePolicy.__dict__["_rule_key_to_state"]
    monkeypatch.setattr(rasa_speedups, "RASA_VERSION", "3.7.0")
    rasa_speedups.install()
    assert RulePolicy.__dict__["_rule_key_to_state"] is before


def test_a_sqlite_tracker_store_commits_without_waiting_for_the_disk(tmp_path, monkeypatch):
    """WAL with synchronous=NORMAL on every connection the store uses (SQLite's default,
    a rollback journal with synchronous=FULL, fsyncs on every turn's commit)."""
    import sqlalchemy as sa

    db = tmp_path / "conversations.db"
    monkeypatch.setenv("KLBOT_TRACKER_STORE_URL", f"sqlite:///{db}")
    store = ConfiguredTrackerStore()
    for _ in range(2):
        with store.session_scope() as session:
            assert session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    assert oct(db.stat().st_mode & 0o777) == "0o600"


def test_a_sqlite_tracker_store_keeps_its_connection(tmp_path, monkeypatch):
    """Sessions reuse a pooled connection (SQLAlchemy 1.4 opened and closed one per session,
    checkpointing the WAL on every close); what one session commits the next one reads, and
    another connection (klbot's erasure, another process) sees it too."""
    import sqlite3

    import sqlalchemy as sa

    db = tmp_path / "conversations.db"
    monkeypatch.setenv("KLBOT_TRACKER_STORE_URL", f"sqlite:///{db}")
    store = ConfiguredTrackerStore()
    connections = []
    sa.event.listen(store.engine, "connect", lambda conn, _record: connections.append(conn))
    for n in range(3):
        with store.session_scope() as session:
            session.execute(sa.text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
            session.execute(sa.text("INSERT INTO t VALUES (:n)"), {"n": n})
            session.commit()
    assert len(connections) <= 1  # the pool's connection, reused
    with store.session_scope() as session:
        assert session.execute(sa.text("SELECT count(*) FROM t")).scalar() == 3
    other = sqlite3.connect(db)
    try:
        assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 3
    finally:
        other.close()
