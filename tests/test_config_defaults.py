"""Settings that follow other settings."""

from __future__ import annotations

from bot.config import Settings


def test_public_url_follows_rasa_port_unless_set(monkeypatch):
    monkeypatch.delenv("KLBOT_PUBLIC_URL", raising=False)
    monkeypatch.setenv("RASA_PORT", "5105")
    assert Settings(_env_file=None).public_url == "http://localhost:5105"
    monkeypatch.setenv("KLBOT_PUBLIC_URL", "https://chat.miljovarme.example")
    assert Settings(_env_file=None).public_url == "https://chat.miljovarme.example"


def test_public_url_defaults_to_port_5005(monkeypatch):
    monkeypatch.delenv("KLBOT_PUBLIC_URL", raising=False)
    monkeypatch.delenv("RASA_PORT", raising=False)
    assert Settings(_env_file=None).public_url == "http://localhost:5005"
