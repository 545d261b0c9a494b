"""`klbot` says which register it works on when the shell does not show it (issue 21): the
URL comes from .env, or klbot runs outside the checkout whose default register it uses."""

from __future__ import annotations

import pytest

import bot.config
from bot.cli.app import _register_note
from bot.config import PROJECT_ROOT, setting_source

URL = "sqlite:////srv/klbot/register.db"


@pytest.fixture
def from_dot_env(monkeypatch, tmp_path):
    env = tmp_path / ".env"
    env.write_text(f"KLBOT_DATABASE_URL={URL}\n")
    monkeypatch.setenv("KLBOT_DATABASE_URL", URL)  # what the settings read from that .env
    monkeypatch.setattr(bot.config, "setting_source", lambda name: str(env))
    return env


def test_setting_source_tells_environment_dot_env_and_default(monkeypatch, tmp_path):
    env = tmp_path / ".env"
    env.write_text("KLBOT_DATABASE_URL=sqlite:////srv/x.db\nKLBOT_STAFF_PHONE=\n")
    monkeypatch.delenv("KLBOT_DATABASE_URL", raising=False)
    monkeypatch.delenv("KLBOT_STAFF_PHONE", raising=False)
    assert setting_source("KLBOT_DATABASE_URL", env) == str(env)
    assert setting_source("KLBOT_STAFF_PHONE", env) is None  # blank is unset
    assert setting_source("KLBOT_DATABASE_URL", tmp_path / "none") is None
    monkeypatch.setenv("KLBOT_DATABASE_URL", "sqlite:////srv/y.db")
    assert setting_source("KLBOT_DATABASE_URL", env) == "the environment"


def test_a_register_from_dot_env_is_named(from_dot_env, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    note = _register_note()
    assert note == f"Register: {URL} (KLBOT_DATABASE_URL in {from_dot_env})"


def test_the_checkouts_default_register_is_named_outside_the_checkout(monkeypatch, tmp_path):
    monkeypatch.setattr(bot.config, "setting_source", lambda name: None)
    monkeypatch.chdir(tmp_path)
    note = _register_note()
    assert note is not None and note.startswith("Register: sqlite:///")
    assert f"the default of the checkout {PROJECT_ROOT}" in note
    monkeypatch.chdir(PROJECT_ROOT)
    assert _register_note() is None  # in the checkout, var/klbot.db is what one expects


def test_a_url_in_this_shells_environment_is_not_repeated(monkeypatch, tmp_path):
    monkeypatch.setenv("KLBOT_DATABASE_URL", URL)
    monkeypatch.chdir(tmp_path)
    assert _register_note() is None
