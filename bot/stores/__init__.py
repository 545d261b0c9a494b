"""Rasa's conversation stores, chosen by environment (see endpoints.yml).

- Tracker store: ``SQLTrackerStore`` on ``KLBOT_TRACKER_STORE_URL`` (default: SQLite file
  ``var/conversations.db``; PostgreSQL in production), so a restarted server continues a
  conversation where it was, and several server instances share conversations.
- Lock store: ``RedisLockStore`` when ``KLBOT_LOCK_STORE_URL`` (``redis://host:port/db``) is
  set, which serialises turns of one conversation across instances; otherwise in-memory
  (one instance only).
"""
