"""The ports of ``make run`` (issue 21): documented in ``make help`` and the README, read from
the environment or ``.env`` like every other setting, and followed by KLBOT_PUBLIC_URL (what
Twilio's signature covers) and KLBOT_STAFF_URL unless those are set."""

from __future__ import annotations

import subprocess

import pytest

from bot.config import Settings, port_assignments
from tests.support.servers import ROOT

PORTS = ("RASA_PORT", "ACTION_PORT", "DEMO_PORT", "STAFF_PORT")


@pytest.fixture
def no_port_env(monkeypatch):
    for name in (*PORTS, "KLBOT_PUBLIC_URL", "KLBOT_STAFF_URL"):
        monkeypatch.delenv(name, raising=False)


def test_ports_in_dot_env_are_read_and_the_urls_follow_them(tmp_path, no_port_env):
    env = tmp_path / ".env"
    env.write_text("RASA_PORT=15005\nACTION_PORT=15055\nDEMO_PORT=15080\nSTAFF_PORT=15090\n")
    settings = Settings(_env_file=str(env))
    assert settings.public_url == "http://localhost:15005"
    assert settings.staff_url == "http://127.0.0.1:15090"
    assert port_assignments(settings) == (
        "RASA_PORT=15005 ACTION_PORT=15055 DEMO_PORT=15080 STAFF_PORT=15090"
    )


def test_the_environment_wins_over_dot_env_and_set_urls_stay(tmp_path, no_port_env, monkeypatch):
    env = tmp_path / ".env"
    env.write_text("RASA_PORT=15005\nKLBOT_PUBLIC_URL=\n")
    monkeypatch.setenv("RASA_PORT", "25005")
    assert Settings(_env_file=str(env)).public_url == "http://localhost:25005"
    monkeypatch.setenv("KLBOT_PUBLIC_URL", "https://chat.miljovarme.example/")
    assert Settings(_env_file=str(env)).public_url == "https://chat.miljovarme.example"


def test_defaults(no_port_env):
    settings = Settings(_env_file=None)
    assert port_assignments(settings) == (
        "RASA_PORT=5005 ACTION_PORT=5055 DEMO_PORT=5080 STAFF_PORT=5090"
    )
    assert settings.public_url == "http://localhost:5005"


def test_make_run_takes_its_ports_from_the_settings():
    script = (ROOT / "scripts" / "run.sh").read_text()
    assert "bot.config --ports" in script
    for default in ("5005", "5055", "5080", "5090"):  # none that could disagree with bot/config
        assert f":-{default}}}" not in script, default


def test_make_help_names_the_ports():
    make = ["make", "-s", "help"]
    out = subprocess.run(make, cwd=ROOT, capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    for name in PORTS:
        assert name in out, out
    assert "KLBOT_PUBLIC_URL" in out, out


def test_readme_documents_the_ports():
    readme = (ROOT / "README.md").read_text()
    for name in PORTS:
        assert f"`{name}`" in readme, name
