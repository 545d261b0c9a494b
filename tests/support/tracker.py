"""A tracker store for register tests without Rasa: an SQLite file with the ``events``
table as Rasa's SQLTrackerStore creates it, and a way to write a conversation into it."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT "
    "NULL, type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
    "action_name VARCHAR(255), data TEXT)"
)


def make_tracker_store(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute(SCHEMA)
    return f"sqlite:///{path}"


def say(url: str, sender: str, text: str) -> None:
    """One user message, stored as Rasa stores it (JSON with ASCII escapes)."""
    path = url.replace("sqlite:///", "", 1)
    event = {"event": "user", "timestamp": time.time(), "text": text, "parse_data": {}}
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
            (sender, "user", event["timestamp"], json.dumps(event)),
        )


def senders(url: str) -> set:
    path = url.replace("sqlite:///", "", 1)
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT DISTINCT sender_id FROM events")}


def dump(url: str) -> str:
    path = url.replace("sqlite:///", "", 1)
    with sqlite3.connect(path) as db:
        return "\n".join(row[0] for row in db.execute("SELECT data FROM events"))
