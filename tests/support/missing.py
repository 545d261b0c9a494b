"""What a test does when a service, browser or build output it needs is not there.

On a developer's machine it skips, saying why. In CI (``CI`` set, as ``.ci/run`` does) the
same absence fails the test: CI has PostgreSQL, Redis, Chromium and the trained model, so a
skip there would hide a whole layer of the suite behind a green run.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(reason: str) -> None:
    """Skip with ``reason``, or fail with it under CI."""
    if in_ci():
        pytest.fail(f"CI must have this, and does not: {reason}", pytrace=False)
    pytest.skip(reason)
