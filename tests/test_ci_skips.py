"""In CI a missing service fails the test instead of skipping it (tests/support/missing.py)."""

from __future__ import annotations

import pytest

from tests.support.missing import missing


def test_missing_service_skips_on_a_developers_machine(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        missing("Redis is not running")


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_missing_service_fails_in_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI must have this"):
        missing("Redis is not running")
