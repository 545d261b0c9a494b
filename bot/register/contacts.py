"""Contact points: phone numbers in E.164 (``phonenumbers``), e-mail lower-cased."""

from __future__ import annotations

import re
from typing import Optional, Tuple

import phonenumbers

EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")


def normalize_phone(raw: Optional[str]) -> Optional[str]:
    """ "975 27 747" -> "+4797527747"; None when it is no valid phone number."""
    if not raw or not isinstance(raw, str):
        return None
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    digits = re.sub(r"[^\d+]", "", text)
    if len(digits) == 10 and digits.startswith("47") and not digits.startswith("+"):
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, "NO")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: Optional[str]) -> Optional[str]:
    if not raw or not isinstance(raw, str):
        return None
    text = raw.strip().strip("<>.,;").lower()
    return text if EMAIL.match(text) and ".." not in text else None


def classify_contact(raw: Optional[str]) -> Optional[Tuple[str, str]]:
    """("email"|"sms", normalised) or None."""
    if raw and "@" in raw:
        email = normalize_email(raw)
        return ("email", email) if email else None
    phone = normalize_phone(raw)
    return ("sms", phone) if phone else None
