"""The one configuration object, read from the environment (and an optional ``.env``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


def _load_dotenv() -> None:
    env_file = PROJECT_ROOT / ".env"
    if env_file.exists():
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False)


def _env(name: str, default: Optional[str] = None) -> Optional[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    try:
        return int(raw) if raw is not None else default
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    database_url: str
    notifier: str = "outbox"
    public_url: str = "http://localhost:5005"
    twilio_account_sid: Optional[str] = None
    twilio_auth_token: Optional[str] = None
    twilio_from_number: Optional[str] = None
    twilio_api_url: Optional[str] = None
    telegram_bot_token: Optional[str] = None
    telegram_webhook_secret: Optional[str] = None
    telegram_api_url: str = "https://api.telegram.org"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: Optional[str] = None
    smtp_password: Optional[str] = None
    smtp_from: str = "personvern@miljovarme.no"
    smtp_starttls: bool = False
    conversation_retention_days: int = 90
    tracker_store_url: str = ""
    lock_store_url: Optional[str] = None
    company_phone: str = "+47 63 85 88 70"
    company_email: str = "biokjell@miljovarme.no"
    extra: dict = field(default_factory=dict)

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_auth_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token and self.telegram_webhook_secret)


def default_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'klbot.db'}"


def default_tracker_store_url() -> str:
    return f"sqlite:///{VAR_DIR / 'conversations.db'}"


def load_settings() -> Settings:
    """Read the settings now (tests call this after changing the environment)."""
    _load_dotenv()
    return Settings(
        database_url=_env("KLBOT_DATABASE_URL", default_database_url()),
        notifier=(_env("KLBOT_NOTIFIER", "outbox") or "outbox").lower(),
        public_url=(_env("KLBOT_PUBLIC_URL", "http://localhost:5005") or "").rstrip("/"),
        twilio_account_sid=_env("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=_env("TWILIO_AUTH_TOKEN"),
        twilio_from_number=_env("TWILIO_FROM_NUMBER"),
        twilio_api_url=_env("TWILIO_API_URL"),
        telegram_bot_token=_env("TELEGRAM_BOT_TOKEN"),
        telegram_webhook_secret=_env("TELEGRAM_WEBHOOK_SECRET"),
        telegram_api_url=(_env("TELEGRAM_API_URL", "https://api.telegram.org") or "").rstrip("/"),
        smtp_host=_env("KLBOT_SMTP_HOST", "localhost") or "localhost",
        smtp_port=_env_int("KLBOT_SMTP_PORT", 25),
        smtp_user=_env("KLBOT_SMTP_USER"),
        smtp_password=_env("KLBOT_SMTP_PASSWORD"),
        smtp_from=_env("KLBOT_SMTP_FROM", "personvern@miljovarme.no") or "",
        smtp_starttls=(_env("KLBOT_SMTP_STARTTLS", "false") or "").lower() in {"1", "true", "yes"},
        conversation_retention_days=_env_int("KLBOT_CONVERSATION_RETENTION_DAYS", 90),
        tracker_store_url=_env("KLBOT_TRACKER_STORE_URL", default_tracker_store_url()) or "",
        lock_store_url=_env("KLBOT_LOCK_STORE_URL"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
