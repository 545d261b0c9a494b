"""The lock store named in endpoints.yml: Redis when configured, else in-memory.

Rasa 3.6's ``RedisLockStore`` keeps each conversation's ticket queue as one JSON value that
every instance reads, changes and writes back (``issue_ticket``, ``cleanup``). Two server
instances that take a ticket for the same conversation at the same moment can overwrite each
other's ticket; both then process a turn at once, and the tracker store keeps only one of
the two turns' events (tests/production/test_multi_instance.py lost 4 of 8 concurrent turns
this way). Rasa fixed this only in its commercial edition (RasaHQ/rasa#11256).

``SerialRedisLockStore`` keeps Rasa's class and configuration but takes the lock with one
atomic Redis operation instead: ``SET key token NX PX lifetime`` (redis-py's ``Lock``, whose
release is a token-checked Lua script), polled without blocking the event loop. At most one
turn per conversation runs at a time across all instances; a crashed instance's lock expires
after the lock lifetime (Rasa's ``TICKET_LOCK_LIFETIME``, 60 s by default).
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    LOCK_LIFETIME,
    InMemoryLockStore,
    LockError,
    LockStore,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig
from redis.connection import parse_url
from redis.exceptions import LockError as RedisLockError

from bot.config import load_settings

logger = logging.getLogger(__name__)

POLL_START_S = 0.005
POLL_MAX_S = 0.05


class SerialRedisLockStore(RedisLockStore):
    """One turn per conversation at a time, across every Rasa instance on this Redis."""

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_MAX_S,
    ) -> AsyncGenerator[TicketLock, None]:
        key = f"{self.key_prefix}serial:{conversation_id}"
        redis_lock = self.red.lock(key, timeout=lock_lifetime, thread_local=False)
        deadline = time.monotonic() + lock_lifetime
        pause = POLL_START_S
        while not redis_lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise LockError(f"No conversation lock within {lock_lifetime:.0f} s.")
            await asyncio.sleep(pause)
            pause = min(pause * 2, wait_time_in_seconds, POLL_MAX_S)
        try:
            # callers in Rasa 3.6 ignore the yielded value; give them the type they expect
            yield TicketLock(conversation_id)
        finally:
            try:
                redis_lock.release()
            except RedisLockError:
                logger.warning(
                    "A conversation lock expired before its turn ended (turn longer than %s s).",
                    lock_lifetime,
                )


class ConfiguredLockStore:
    """Factory that Rasa instantiates by module path; returns the lock store to use."""

    def __new__(cls, endpoint_config: Optional[EndpointConfig] = None, **_: Any) -> LockStore:
        url = load_settings().lock_store_url
        if not url:
            logger.info("Lock store: in memory (one Rasa server instance only).")
            return InMemoryLockStore()
        options = parse_url(url)
        logger.info("Lock store: Redis (several Rasa server instances can share conversations).")
        return SerialRedisLockStore(
            host=options.get("host", "localhost"),
            port=int(options.get("port", 6379)),
            db=int(options.get("db", 1)),
            username=options.get("username"),
            password=options.get("password"),
            use_ssl=url.startswith("rediss://"),
            key_prefix="klbot",
        )
