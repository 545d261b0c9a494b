"""Every setting is documented once (issue 21): each variable the settings read is in the
README's configuration table, and ``.env.example`` names no variable twice."""

from __future__ import annotations

import re
from collections import Counter

from bot.config import Settings
from tests.support.servers import ROOT


def setting_names():
    return {field.field_info.extra["env"] for field in Settings.__fields__.values()}


def configuration_table() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]


def test_every_setting_is_in_the_readmes_configuration_table():
    table = configuration_table()
    missing = sorted(name for name in setting_names() if f"`{name}`" not in table)
    assert not missing, f"not in the README's configuration table: {missing}"


def test_dot_env_example_names_each_variable_once():
    lines = (ROOT / ".env.example").read_text().splitlines()
    names = Counter(
        m.group(1) for line in lines if (m := re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=", line))
    )
    twice = sorted(name for name, n in names.items() if n > 1)
    assert not twice, f".env.example names these more than once: {twice}"
    assert "KLBOT_STAFF_EMAIL" in names and "RASA_PORT" in names
