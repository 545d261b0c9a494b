"""Is a corrected value fit for its field? (a pure check, before the customer confirms it)

- address: a street (letters, usually a house number) and a 4-digit Norwegian postcode,
  optionally the place: "Storgata 5, 8646 Korgen";
- phone: a valid number (``phonenumbers``), kept in E.164;
- email: a valid address, lower-cased;
- name, contact_person: looks like a person's or a company's name: letters (no digits, no @),
  at least two words, not a field's name ("adresse") nor a yes/no.

``check(field, text)`` returns ``(value, None)`` with the value as it will be written, or
``(None, problem)`` where problem is "field_name", "address", "phone", "email" or "name".
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

from bot.register.contacts import normalize_email, normalize_phone

FIELD_NAME = re.compile(
    r"^(?:(?:min|mitt|mi|mine|ny|nytt|nye|riktig|rett|den|det)\s+)*"
    r"(?:navn(?:et)?|namn(?:et)?|fornavn(?:et)?|etternavn(?:et)?|"
    r"(?:post|gate|bosteds|leverings|faktura)?adress\w*|telefon\w*|tlf\w*|mobil\w*|nummer\w*|"
    r"e-?post\w*|e-?mail\w*|mail\w*|kontakt\s*person\w*|postnummer\w*|postkode|sted|by)"
    r"\s*[.!?]*$",
    re.IGNORECASE,
)
YES_NO = re.compile(r"^(?:ja|jo|nei|ok|okei|yes|no|javisst|nope|jepp|stemmer)\s*[.!]*$", re.I)
ADDRESS = re.compile(
    r"^(?P<street>.*?[^\W\d_]{2,}.*?)[\s,]+(?P<code>\d{4})(?:[\s,]+(?P<place>[^\W\d_][^\d]*))?$"
)
NAME = re.compile(r"^[^\W\d_][^\W\d_.'\-]*(?:[ .'\-]+[^\W\d_][^\W\d_.'\-]*)+\.?$")


def check(field: str, text: str) -> Tuple[Optional[str], Optional[str]]:
    value = " ".join(str(text or "").split()).strip(" ,;")
    if not value or FIELD_NAME.match(value):
        return None, "field_name"
    if field == "phone":
        phone = normalize_phone(value)
        return (phone, None) if phone else (None, "phone")
    if field == "email":
        email = normalize_email(value)
        return (email, None) if email else (None, "email")
    if field == "address":
        match = ADDRESS.match(value)
        if not match or "@" in value:
            return None, "address"
        street = match.group("street").strip(" ,")
        place = (match.group("place") or "").strip(" ,")
        return f"{street}, {match.group('code')}{' ' + place if place else ''}", None
    if YES_NO.match(value) or "@" in value or len(value) > 120 or not NAME.match(value):
        return None, "name"
    return value, None
