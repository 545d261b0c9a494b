"""Limits per sender id and per client address on the REST and socket.io channels.

A flood from one conversation or one address gets a polite answer in Norwegian instead of
a turn (no NLU, no action, no register write). The counters live in Redis when
``KLBOT_RATE_LIMIT_STORAGE_URL`` (or else ``KLBOT_LOCK_STORE_URL``) is a ``redis://`` URL, so
that several Rasa instances share them; in memory otherwise. ``KLBOT_RATE_LIMITS=off``
switches them off (benchmarks and load tests send hundreds of turns from one address).

A message is first TESTED against every window and only counted (hit) when it passes all
of them: a refused message counts against nothing, so a burst refused by the minute window
does not fill the hour window, and a client that stops flooding is served again once the
window it broke has room. The refusal says the real wait (the ``Retry-After`` of REST's 429,
the text on every channel), read from the window that refused.

The SMS and Telegram connectors use the same limiter per sender (``PER_CHANNEL_SENDER``):
a flood from one number or one Telegram user gets no turn (and no paid reply).

These are limits on traffic. The limits on one-time codes per person and per contact point
live in the register and hold whatever this module says.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from functools import lru_cache
from typing import List, Optional, Tuple

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sanic.request import Request

from bot.channels.support import run_sync
from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)

# A person types a few messages a minute; a form is about ten turns.
PER_SENDER = "20/minute;300/hour"
# Several customers may share one address (an office, a mobile operator's NAT).
PER_ADDRESS = "60/minute;1000/hour"

# SMS and Telegram, per sender (a phone number, a Telegram user): fewer, every reply may cost
PER_CHANNEL_SENDER = "10/minute;100/hour"

RATE_LIMITED_REPLY = "Du har sendt mange meldinger på kort tid."


def wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} sekund" if seconds == 1 else f"{seconds} sekunder"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutter"


def rate_limited_reply(seconds: int) -> str:
    """The refusal with the real wait (what ``over_limit`` returned)."""
    return f"{RATE_LIMITED_REPLY} Vent litt, og prøv igjen om {wait_text(max(1, seconds))}."


def storage_url(settings: Settings) -> str:
    for url in (settings.rate_limit_storage_url, settings.lock_store_url):
        if url and url.startswith(("redis://", "rediss://")):
            return url
    return "memory://"


def _key(value: str) -> str:
    """Counters are keyed by a hash: no address or conversation id in clear in Redis."""
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


class TrafficLimiter:
    """Counts messages per sender id and per client address; says when one is over."""

    def __init__(self, url: str, on: bool = True) -> None:
        self.on = on
        self.url = url
        self.shared = not url.startswith("memory://")
        self.per_sender: List[RateLimitItem] = parse_many(PER_SENDER)
        self.per_address: List[RateLimitItem] = parse_many(PER_ADDRESS)
        self.per_channel_sender: List[RateLimitItem] = parse_many(PER_CHANNEL_SENDER)
        self._storage: Optional[Storage] = None
        self._limiter: Optional[MovingWindowRateLimiter] = None
        if on:
            where = "Redis" if self.shared else "memory"
            logger.info("Rate limits per sender and client address are on (%s).", where)
        else:
            logger.warning("Rate limits per sender and client address are OFF.")

    @classmethod
    def from_settings(cls, settings: Optional[Settings] = None) -> TrafficLimiter:
        settings = settings or get_settings()
        return cls(storage_url(settings), on=settings.rate_limits_on)

    def _strategy(self) -> MovingWindowRateLimiter:
        if self._limiter is None:
            options = {"socket_timeout": 1, "socket_connect_timeout": 1} if self.shared else {}
            self._storage = storage_from_string(self.url, **options)
            self._limiter = MovingWindowRateLimiter(self._storage)
        return self._limiter

    def _windows(self, channel: str, sender: str, address: str) -> List[Tuple]:
        sender_items = (
            self.per_channel_sender if channel in ("twilio_sms", "telegram") else self.per_sender
        )
        windows = [(item, ("klbot-sender", channel, _key(sender))) for item in sender_items]
        if address:
            windows += [(item, ("klbot-address", _key(address))) for item in self.per_address]
        return windows

    def _over(self, channel: str, sender: str, address: str) -> int:
        limiter = self._strategy()
        windows = self._windows(channel, sender, address)
        # test every window first; count the message only when all have room
        full = [(item, keys) for item, keys in windows if not limiter.test(item, *keys)]
        if not full:
            full = [(item, keys) for item, keys in windows if not limiter.hit(item, *keys)]
            if not full:
                return 0
            # filled by another message meanwhile: this one was refused (and is counted)
        now = time.time()
        waits = [limiter.get_window_stats(item, *keys)[0] - now for item, keys in full]
        return max(1, math.ceil(max(waits)))

    async def over_limit(self, channel: str, sender: str, address: str) -> int:
        """0 when this message may pass; else the seconds until it could (the caller answers
        ``rate_limited_reply(seconds)``). A refused message is not counted."""
        if not self.on:
            return 0
        try:
            if self.shared:
                over = await run_sync(self._over, channel, sender, address)
            else:
                over = self._over(channel, sender, address)
        except Exception as error:  # noqa: BLE001 - a broken counter store must not stop the chat
            logger.warning(
                "Rate limit store unavailable (%s); message let through.", type(error).__name__
            )
            return 0
        if over:
            logger.warning(
                "Rate limit reached on channel %s; message refused (%d s).", channel, over
            )
        return over


def client_key(address: str, settings: Optional[Settings] = None) -> str:
    """An opaque, stable key for a client address that the channels put in a message's
    metadata (``client``) so that the actions can limit per address (anonymous complaints)
    without ever seeing the address: a keyed hash (the action token is the key: the Rasa
    and action servers share it, nobody else has it; an IPv4 hash without a key would be
    reversed by trying all 2^32)."""
    if not address:
        return ""
    secret = (settings or get_settings()).action_token or "klbot-client"
    digest = hmac.new(secret.encode(), address.encode("utf-8", "replace"), hashlib.sha256)
    return "c-" + digest.hexdigest()[:24]


@lru_cache(maxsize=1)
def get_limiter() -> TrafficLimiter:
    """The process's limiter (REST and socket.io share it)."""
    return TrafficLimiter.from_settings()


def client_address(request: Request) -> str:
    """The client's address: the proxy's ``X-Forwarded-For`` entry when Sanic is told to
    trust one (``SANIC_PROXIES_COUNT`` / ``SANIC_REAL_IP_HEADER``), else the peer address."""
    return request.remote_addr or request.ip or ""
