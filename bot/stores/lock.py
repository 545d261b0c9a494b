"""The lock store named in endpoints.yml: Redis when configured, else in-memory."""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.connection import parse_url

from bot.config import load_settings

logger = logging.getLogger(__name__)


class ConfiguredLockStore:
    """Factory that Rasa instantiates by module path; returns Rasa's own lock store."""

    def __new__(cls, endpoint_config: Optional[EndpointConfig] = None, **_: Any) -> LockStore:
        url = load_settings().lock_store_url
        if not url:
            logger.info("Lock store: in memory (one Rasa server instance only).")
            return InMemoryLockStore()
        options = parse_url(url)
        logger.info("Lock store: Redis (several Rasa server instances can share conversations).")
        return RedisLockStore(
            host=options.get("host", "localhost"),
            port=int(options.get("port", 6379)),
            db=int(options.get("db", 1)),
            username=options.get("username"),
            password=options.get("password"),
            use_ssl=url.startswith("rediss://"),
            key_prefix="klbot",
        )
