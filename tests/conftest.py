"""Shared fixtures. `assistant` is a real Rasa server + action server with a fresh register."""

from __future__ import annotations

import socket

import pytest

from tests.support.servers import ROOT, klbot, start_assistant


def service_up(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


# Modules that load the trained model without marking it themselves.
NEEDS_MODEL = {"test_nlu_heldout.py"}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name in NEEDS_MODEL:
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def assistant(tmp_path_factory):
    """One running assistant for the session, with the demo customers imported."""
    work = tmp_path_factory.mktemp("assistant")
    # every ticket alerts staff at once: tests on this shared assistant run in any order, and
    # a batched alert (tests/register/test_staff.py) would hide one test's alert behind another's
    running = start_assistant(work, {"KLBOT_STAFF_ALERT_EVERY": "0"})
    klbot(running.env, "customers", "import", str(ROOT / "demo" / "customers.csv"))
    yield running
    running.stop()
