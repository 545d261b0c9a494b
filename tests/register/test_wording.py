"""The words about tickets (pure functions): dates as staff and customers read them, and
every customer message within two SMS segments."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.register import wording

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "days, text",
    [(30, "om 30 dager"), (2, "om 2 dager"), (1, "i morgen"), (0, "i dag"),
     (-1, "1 dag over fristen"), (-12, "12 dager over fristen")],
)  # fmt: skip
def test_days_left_in_plain_norwegian(days, text):
    assert wording.relative_days(days) == text


def test_due_text_counts_calendar_days_in_oslo():
    # 23:30 UTC on 24 December is 00:30 on 25 December in Oslo
    due = datetime(2026, 12, 24, 23, 30, tzinfo=timezone.utc)
    assert wording.due_text(due, NOW) == "25.12.2026 (om 30 dager)"
    late = NOW - timedelta(days=3)
    assert wording.due_text(late, NOW) == "22.11.2026 (3 dager over fristen)"
    assert wording.due_text(late, NOW, short=True) == "22.11.2026 (3 dager over)"


def test_every_status_line_and_notice_fits_two_sms_segments():
    long_reason = "Omfattende forespørsel med mange vedlegg. " * 20
    views = [
        wording.TicketView("PV-ABC234", kind, status, NOW + timedelta(days=30), True,
                           long_reason, "unfounded", NOW)
        for kind in wording.KIND_TEXT
        for status in wording.STATUS_TEXT
    ]  # fmt: skip
    for line in wording.status_lines(views, NOW):
        assert len(line) <= 320, line
        assert "PV-ABC234" in line
    for category in wording.REJECTION_CATEGORIES:
        assert len(wording.closing_notice("PV-ABC234", "rejected", category)) <= 320
    assert len(wording.closing_notice("PV-ABC234", "done")) <= 320


def test_an_extension_shows_its_reason_and_a_rejection_its_category():
    extended = wording.TicketView(
        "PV-ABC234", "access", "in_progress", NOW + timedelta(days=60), True, "Mange saker"
    )
    line = wording.status_line(extended, NOW)
    assert line == (
        "Innsyn (PV-ABC234): under behandling. Frist 24.01.2027 (om 60 dager). Fristen er "
        "forlenget: Mange saker."
    )
    rejected = wording.TicketView(
        "PV-ABC235",
        "erasure",
        "rejected",
        NOW,
        rejection_category="legal_obligation",
        closed_at=NOW,
    )
    text = wording.status_line(rejected, NOW)
    assert "avslått 25.11.2026" in text and "beholde opplysningene etter loven" in text
    assert "Datatilsynet" in text
