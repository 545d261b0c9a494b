"""Contact points: phone numbers in E.164 (``phonenumbers``), e-mail lower-cased."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional, Tuple

import phonenumbers

if TYPE_CHECKING:
    from bot.register.models import Customer

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


def canonical_address(channel: str, address: Optional[str]) -> Optional[str]:
    """The form a contact point is kept in: E.164 for sms, lower-case e-mail, and a postal
    address with its spaces collapsed, lower-case. None when it does not fit the channel."""
    if not address:
        return None
    if channel == "sms":
        return normalize_phone(address)
    if channel == "email":
        return normalize_email(address)
    if channel == "post":
        if normalize_email(address) or normalize_phone(address):
            return None  # an e-mail address or phone number is no postal address
        return " ".join(address.split()).lower() or None
    return None


def postal_address(customer: Customer) -> Optional[str]:
    parts = [customer.address, " ".join(p for p in (customer.postal_code, customer.city) if p)]
    text = ", ".join(p for p in parts if p)
    return canonical_address("post", text) if customer.address else None


def registered_address(customer: Customer, channel: str) -> Optional[str]:
    if channel == "sms":
        return customer.phone
    if channel == "email":
        return customer.email
    return postal_address(customer)
