"""The privacy policy (a copy of shared/policy/personvernerklaering.txt) and the facts it states.

The company's contact facts are written here once; answers, notices and extracts take them
from here (``bot.policy.facts`` quotes the rest of the policy word for word).
"""

from pathlib import Path

POLICY_PATH = Path(__file__).with_name("personvernerklaering.txt")

COMPANY_NAME = "KL Miljøvarme"
COMPANY_PHONE = "+47 63 85 88 70"
COMPANY_MOBILE = "+47 975 27 747"
COMPANY_EMAIL = "biokjell@miljovarme.no"
COMPANY_CONTACT = f"tlf. {COMPANY_PHONE} eller {COMPANY_EMAIL}"
COMPANY_CONTACT_EN = f"phone {COMPANY_PHONE} or {COMPANY_EMAIL}"


def policy_text() -> str:
    return POLICY_PATH.read_text(encoding="utf-8")
