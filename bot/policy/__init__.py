"""The privacy policy text (a copy of shared/policy/personvernerklaering.txt), served to users."""

from pathlib import Path

POLICY_PATH = Path(__file__).with_name("personvernerklaering.txt")


def policy_text() -> str:
    return POLICY_PATH.read_text(encoding="utf-8")
