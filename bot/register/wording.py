"""The words staff and customers read about tickets: kinds, states and dates in plain
Norwegian, the status answer, the staff alert, and the notice when a ticket is closed.

Pure functions (no database): they take plain values, so the action server, the CLI and the
tests share them. Nothing here holds personal data beyond a ticket's reference; every
message a customer may receive by SMS stays within two SMS segments (320 characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import List, Optional

from bot.policy import COMPANY_CONTACT
from bot.policy.facts import SUPERVISORY_AUTHORITY

SMS_LIMIT = 320

KIND_TEXT = {
    "opt_out": "stopp av reklame",
    "access": "innsyn",
    "correction": "retting",
    "erasure": "sletting",
    "restriction": "begrensning av behandlingen",
    "objection": "protest mot behandling",
    "portability": "dataportabilitet",
    "complaint": "klage",
}
STATUS_TEXT = {
    "received": "mottatt, venter på bekreftet identitet",
    "verified": "mottatt, identitet bekreftet",
    "in_progress": "under behandling",
    "done": "ferdig",
    "rejected": "avslått",
}
# Why a ticket was rejected: the code staff give (`--category`), and the words the customer
# reads. GDPR Art. 12(4): the customer is told why, and that they may complain.
REJECTION_CATEGORIES = {
    "identity": "vi fikk ikke bekreftet identiteten din",
    "no_data": "vi har ingen opplysninger om deg",
    "legal_obligation": "vi må beholde opplysningene etter loven",
    "unfounded": "forespørselen er åpenbart grunnløs eller overdreven",
    "withdrawn": "forespørselen ble trukket tilbake",
    "duplicate": "forespørselen er allerede behandlet i en annen sak",
    "other": "se begrunnelsen vi har sendt deg",
}
DEFAULT_REJECTION = "other"


def oslo(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        from zoneinfo import ZoneInfo

        return moment.astimezone(ZoneInfo("Europe/Oslo"))
    except Exception:  # noqa: BLE001 - no time zone data: the UTC date is one day off at most
        return moment


def oslo_day(moment: datetime) -> date:
    return oslo(moment).date()


def days_left(due: datetime, now: Optional[datetime] = None) -> int:
    """Calendar days (in Oslo) from today to the due date; negative when overdue."""
    return (oslo_day(due) - oslo_day(now or datetime.now(timezone.utc))).days


def relative_days(days: int, short: bool = False) -> str:
    if days == 0:
        return "i dag"
    if days == 1:
        return "i morgen"
    if days > 1:
        return f"om {days} dager"
    late = "1 dag" if days == -1 else f"{-days} dager"
    return f"{late} over" if short else f"{late} over fristen"


def date_text(moment: Optional[datetime]) -> str:
    return oslo(moment).strftime("%d.%m.%Y") if moment is not None else ""


def due_text(due: Optional[datetime], now: Optional[datetime] = None, short: bool = False) -> str:
    """``25.12.2026 (om 30 dager)``; ``(i dag)``, ``(3 dager over fristen)`` (``short``:
    ``(3 dager over)``, for tables)."""
    if due is None:
        return ""
    return f"{date_text(due)} ({relative_days(days_left(due, now), short)})"


def fit(text: str, limit: int = SMS_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class TicketView:
    """What the customer may see of one ticket (no personal data)."""

    reference: str
    kind: str
    status: str
    due_at: datetime
    extended: bool = False
    extension_reason: Optional[str] = None
    rejection_category: Optional[str] = None
    closed_at: Optional[datetime] = None


def status_line(ticket: TicketView, now: Optional[datetime] = None) -> str:
    """One ticket, for the verified person, in at most 320 characters."""
    kind = KIND_TEXT.get(ticket.kind, ticket.kind)
    head = f"{kind[:1].upper()}{kind[1:]} ({ticket.reference}): "
    if ticket.status == "done":
        return fit(f"{head}ferdig {date_text(ticket.closed_at)}.".replace(" .", "."))
    if ticket.status == "rejected":
        why = REJECTION_CATEGORIES.get(ticket.rejection_category or DEFAULT_REJECTION)
        why = why or REJECTION_CATEGORIES[DEFAULT_REJECTION]
        return fit(
            f"{head}avslått {date_text(ticket.closed_at)}, fordi {why}. Du kan klage til "
            f"{SUPERVISORY_AUTHORITY}."
        )
    state = STATUS_TEXT.get(ticket.status, ticket.status)
    if ticket.kind == "complaint" and ticket.status == "received":
        state = "mottatt"  # a complaint needs no proof of identity
    text = f"{head}{state}. Frist {due_text(ticket.due_at, now)}."
    if ticket.extended:
        reason = " ".join((ticket.extension_reason or "").split()).rstrip(".")
        extra = " Fristen er forlenget"
        room = SMS_LIMIT - len(text) - len(extra) - len(": .")
        if reason and room > 10:
            if len(reason) > room:
                reason = reason[: room - 1].rstrip() + "…"
            extra += f": {reason}"
        text += extra + "."
    return fit(text)


def status_lines(tickets: List[TicketView], now: Optional[datetime] = None) -> List[str]:
    """The status answer: open tickets by due date first, then the closed ones, newest
    first; one line (one message) per ticket."""
    open_ = sorted(
        (t for t in tickets if t.status not in ("done", "rejected")),
        key=lambda t: (t.due_at, t.reference),
    )
    closed = sorted(
        (t for t in tickets if t.status in ("done", "rejected")),
        key=lambda t: t.closed_at or t.due_at,
        reverse=True,
    )
    return [status_line(t, now) for t in [*open_, *closed]]


def staff_alert(
    *,
    reference: str,
    kind: str,
    channel: str,
    verified: bool,
    due_at: datetime,
    status: str,
    now: Optional[datetime] = None,
) -> str:
    """The alert to staff on a new ticket: reference, kind, channel, due date, the command."""
    kind_text = KIND_TEXT.get(kind, kind)
    if status == "done":
        # an opt-out takes effect at once: for staff to know, nothing to do
        return fit(
            f"Ny personvernsak {reference}: {kind_text} ({kind}), kanal {channel}. Utført "
            f"automatisk, ingen handling nødvendig. Se: klbot requests show {reference}"
        )
    identity = "identitet bekreftet" if verified else "identitet ikke bekreftet"
    return fit(
        f"Ny personvernsak {reference}: {kind_text} ({kind}), kanal {channel}, {identity}. "
        f"Frist {due_text(due_at, now)}. Åpne: klbot requests show {reference}"
    )


def closing_notice(reference: str, status: str, category: Optional[str] = None) -> str:
    """To the customer when staff close the ticket: only the reference, no personal data."""
    if status == "done":
        return fit(
            f"KL Miljøvarme: Forespørselen din med referanse {reference} er ferdig behandlet. "
            f"Spørsmål? Kontakt oss: {COMPANY_CONTACT}."
        )
    why = REJECTION_CATEGORIES.get(category or DEFAULT_REJECTION)
    why = why or REJECTION_CATEGORIES[DEFAULT_REJECTION]
    return fit(
        f"KL Miljøvarme: Forespørselen din med referanse {reference} er avslått fordi {why}. "
        f"Du kan klage til {SUPERVISORY_AUTHORITY}. Spørsmål: {COMPANY_CONTACT}."
    )
