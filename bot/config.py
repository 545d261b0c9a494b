"""The one configuration object, read from the environment (and an optional ``.env``).

pydantic's ``BaseSettings`` (pydantic 1.10, installed with Rasa) reads each field from the
environment variable named in its ``env``; blank values count as unset. Every process (Rasa
server, action server, ``klbot``) reads its settings here and nowhere else.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

from pydantic import BaseSettings, Field, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


def default_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'klbot.db'}"


def default_tracker_store_url() -> str:
    return f"sqlite:///{VAR_DIR / 'conversations.db'}"


class Settings(BaseSettings):
    # the ports of ``make run`` (scripts/run.sh reads them here: environment, then .env);
    # KLBOT_PUBLIC_URL and KLBOT_STAFF_URL follow them unless set
    rasa_port: int = Field(5005, env="RASA_PORT")
    action_port: int = Field(5055, env="ACTION_PORT")
    demo_port: int = Field(5080, env="DEMO_PORT")
    staff_port: int = Field(5090, env="STAFF_PORT")

    # the register and the conversation stores
    database_url: str = Field(default_factory=default_database_url, env="KLBOT_DATABASE_URL")
    tracker_store_url: str = Field(
        default_factory=default_tracker_store_url, env="KLBOT_TRACKER_STORE_URL"
    )
    lock_store_url: Optional[str] = Field(None, env="KLBOT_LOCK_STORE_URL")
    conversation_retention_days: int = Field(90, env="KLBOT_CONVERSATION_RETENTION_DAYS")

    # where the servers listen, and who may call them (docs/SECURITY.md)
    environment: str = Field("development", env="KLBOT_ENV")
    host: str = Field("127.0.0.1", env="KLBOT_HOST")
    public_url: str = Field("", env="KLBOT_PUBLIC_URL")  # default http://localhost:$RASA_PORT
    api_token: Optional[str] = Field(None, env="KLBOT_API_TOKEN")
    action_token: Optional[str] = Field(None, env="KLBOT_ACTION_TOKEN")
    # the key that signs the web chat's socket.io session ids (bot.channels.socketio); unset:
    # derived from KLBOT_ACTION_TOKEN (the same on every instance), else a fixed development key
    web_session_secret: Optional[str] = Field(None, env="KLBOT_WEB_SESSION_SECRET")
    web_origins: List[str] = Field(default_factory=list, env="KLBOT_WEB_ORIGINS")
    rate_limits: str = Field("on", env="KLBOT_RATE_LIMITS")
    rate_limit_storage_url: Optional[str] = Field(None, env="KLBOT_RATE_LIMIT_STORAGE_URL")

    # delivery of notifications: outbox (development: record only), twilio, smtp
    notifier: str = Field("outbox", env="KLBOT_NOTIFIER")
    twilio_account_sid: Optional[str] = Field(None, env="TWILIO_ACCOUNT_SID")
    twilio_auth_token: Optional[str] = Field(None, env="TWILIO_AUTH_TOKEN")
    twilio_from_number: Optional[str] = Field(None, env="TWILIO_FROM_NUMBER")
    twilio_api_url: Optional[str] = Field(None, env="TWILIO_API_URL")
    smtp_host: str = Field("localhost", env="KLBOT_SMTP_HOST")
    smtp_port: int = Field(587, env="KLBOT_SMTP_PORT")
    smtp_user: Optional[str] = Field(None, env="KLBOT_SMTP_USER")
    smtp_password: Optional[str] = Field(None, env="KLBOT_SMTP_PASSWORD")
    smtp_from: str = Field("personvern@miljovarme.no", env="KLBOT_SMTP_FROM")
    smtp_starttls: bool = Field(True, env="KLBOT_SMTP_STARTTLS")

    # Telegram
    telegram_bot_token: Optional[str] = Field(None, env="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: Optional[str] = Field(None, env="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_url: str = Field("https://api.telegram.org", env="TELEGRAM_API_URL")

    # staff: where alerts and reminders go
    staff_email: Optional[str] = Field(None, env="KLBOT_STAFF_EMAIL")
    staff_phone: Optional[str] = Field(None, env="KLBOT_STAFF_PHONE")
    # at most one staff alert per this many seconds; the rest of the window is one counted
    # message (bot.register.staff); 0 sends every alert at once (tests that count alerts)
    staff_alert_every_seconds: int = Field(300, env="KLBOT_STAFF_ALERT_EVERY")
    # the staff inbox (bot.staff_web): its address in links, and the key of its login forms'
    # CSRF tokens (a fresh random one per process when unset)
    staff_url: str = Field("", env="KLBOT_STAFF_URL")  # default http://127.0.0.1:$STAFF_PORT
    staff_secret: Optional[str] = Field(None, env="KLBOT_STAFF_SECRET")

    class Config:
        env_file = str(PROJECT_ROOT / ".env")
        env_file_encoding = "utf-8"
        extra = "ignore"

        @classmethod
        def parse_env_var(cls, field_name: str, raw_val: str) -> Any:
            if field_name == "web_origins":
                return [o.strip().rstrip("/") for o in raw_val.replace(",", " ").split() if o]
            return cls.json_loads(raw_val)  # type: ignore[attr-defined]

    @validator("*", pre=True)
    def _blank_is_unset(cls, value: Any, field: Any) -> Any:  # noqa: N805 (pydantic)
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                return field.get_default()
        return value

    @validator("public_url", always=True)
    def _public_url_follows_rasa_port(cls, value: str, values: Dict[str, Any]) -> str:  # noqa: N805
        return value or f"http://localhost:{values.get('rasa_port', 5005)}"

    @validator("staff_url", always=True)
    def _staff_url_follows_staff_port(cls, value: str, values: Dict[str, Any]) -> str:  # noqa: N805
        return value or f"http://127.0.0.1:{values.get('staff_port', 5090)}"

    @validator("public_url", "telegram_api_url", "staff_url")
    def _no_trailing_slash(cls, value: str) -> str:  # noqa: N805
        return value.rstrip("/")

    @validator("notifier", "environment", "rate_limits")
    def _lower(cls, value: str) -> str:  # noqa: N805
        return value.lower()

    @property
    def is_development(self) -> bool:
        return self.environment in {"development", "dev", "test"}

    @property
    def rate_limits_on(self) -> bool:
        return self.rate_limits not in {"off", "0", "false", "no"}

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_auth_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token and self.telegram_webhook_secret)

    @property
    def allowed_web_origins(self) -> List[str]:
        """The origins that may open the web chat: the public URL's own, plus the extra ones."""
        from urllib.parse import urlsplit

        own = urlsplit(self.public_url)
        origins = [f"{own.scheme}://{own.netloc}"] if own.scheme and own.netloc else []
        return origins + [o for o in self.web_origins if o not in origins]

    def describe(self) -> Dict[str, Any]:
        """What an operator may see: which settings are set, never a secret's value."""
        secret = {"api_token", "action_token", "twilio_auth_token", "smtp_password"}
        secret |= {"telegram_bot_token", "telegram_webhook_secret", "staff_secret"}
        secret |= {"web_session_secret"}
        return {k: ("set" if v else "unset") if k in secret else v for k, v in self}


def startup_summary(settings: Settings) -> List[str]:
    """The few lines ``make run`` prints before the addresses (scripts/run.sh prints those):
    what is on and off, never a secret."""

    def on(flag: bool, detail: str = "") -> str:
        return ("on" + (f" ({detail})" if detail else "")) if flag else "off"

    staff = settings.staff_email and "e-mail" or settings.staff_phone and "SMS"
    sms = (
        f"on (Twilio's signature must cover {settings.public_url}/webhooks/twilio_sms/webhook)"
        if settings.twilio_enabled
        else "off (TWILIO_AUTH_TOKEN turns it on)"
    )
    telegram = (
        "on" if settings.telegram_enabled else "off (TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET)"
    )
    return [
        "Channels: web chat on, REST on",
        f"SMS: {sms}",
        f"Telegram: {telegram}",
        f"Rasa's HTTP API: {on(bool(settings.api_token), 'with KLBOT_API_TOKEN')}",
        "Delivery: "
        + (
            "recorded in the outbox only (klbot outbox list)"
            if settings.notifier == "outbox"
            else f"real ({settings.notifier})"
        ),
        "Staff alerts: "
        + (
            f"on, by {staff}"
            if staff
            else "OFF: set KLBOT_STAFF_EMAIL or KLBOT_STAFF_PHONE to be told of new requests"
        ),
        "Staff digest: "
        + (
            "on (checked hourly: tickets due within 7 days or overdue; the same state once)"
            if staff
            else "OFF (no staff contact)"
        ),
        f"Rate limits per sender and client address: {on(settings.rate_limits_on)}",
    ]


def setting_source(name: str, env_file: Optional[Path] = None) -> Optional[str]:
    """Where the variable ``name`` is set, as the settings read it: ``"the environment"``,
    the ``.env`` file's path, or None (the default)."""
    if (os.environ.get(name) or "").strip():
        return "the environment"
    env_file = env_file or PROJECT_ROOT / ".env"
    if env_file.is_file():
        from dotenv import dotenv_values

        if (dotenv_values(env_file).get(name) or "").strip():
            return str(env_file)
    return None


def load_settings() -> Settings:
    """Read the settings now (tests call this after changing the environment)."""
    return Settings()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


def port_assignments(settings: Settings) -> str:
    """The ports of ``make run`` as shell assignments (``python -m bot.config --ports``)."""
    return " ".join(
        f"{name}={getattr(settings, name.lower())}"
        for name in ("RASA_PORT", "ACTION_PORT", "DEMO_PORT", "STAFF_PORT")
    )


if __name__ == "__main__":  # ``python -m bot.config``: the start-up summary of ``make run``
    import sys

    settings = load_settings()
    if sys.argv[1:] == ["--ports"]:
        print(port_assignments(settings))
    else:
        print("\n".join(startup_summary(settings)))
