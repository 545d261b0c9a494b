"""A corrected value is checked for its field before the customer is asked to confirm it."""

from __future__ import annotations

import pytest

from bot.register.corrections import check


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("address", "Storgata 5, 8646 Korgen", ("Storgata 5, 8646 Korgen", None)),
        ("address", "Fjellveien 7 1970 Hemnes", ("Fjellveien 7, 1970 Hemnes", None)),
        ("address", "adresse", (None, "field_name")),
        ("address", "min nye adresse", (None, "field_name")),
        ("address", "Storgata 5", (None, "address")),  # no postcode
        ("address", "1970 Hemnes", (None, "address")),  # no street
        ("address", "ola@example.com 1970", (None, "address")),
        ("phone", "975 27 747", ("+4797527747", None)),
        ("phone", "telefonnummer", (None, "field_name")),
        ("phone", "12", (None, "phone")),
        ("email", "Ola@Example.NO", ("ola@example.no", None)),
        ("email", "ola@", (None, "email")),
        ("email", "e-post", (None, "field_name")),
        ("name", "Kari Nordmann", ("Kari Nordmann", None)),
        ("name", "Ole-Petter O'Neil", ("Ole-Petter O'Neil", None)),
        ("name", "Hemnes Gårdsdrift AS", ("Hemnes Gårdsdrift AS", None)),
        ("name", "navnet", (None, "field_name")),
        ("name", "ja", (None, "name")),
        ("name", "Kari", (None, "name")),  # the whole name, please
        ("name", "Kari 123", (None, "name")),
        ("contact_person", "kontaktperson", (None, "field_name")),
        ("contact_person", "Per Hansen", ("Per Hansen", None)),
    ],
)
def test_each_field_gets_its_own_check(field, text, expected):
    assert check(field, text) == expected
