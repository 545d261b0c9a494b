"""The words staff and customers read about tickets: kinds, states and dates in plain
Norwegian, the status answer, the staff alert, and the notice when a ticket is closed.
What a customer reads in the chat follows the conversation's language (``language="en"``:
the status answer, the kinds); what staff read stays Norwegian.

Pure functions (no database): they take plain values, so the action server, the CLI and the
tests share them. Nothing here holds personal data beyond a ticket's reference; every
message a customer may receive by SMS stays within two SMS segments (320 characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import List, Optional

from bot.policy import COMPANY_CONTACT, COMPANY_CONTACT_EN
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
KIND_TEXT_EN = {
    "opt_out": "stopping marketing",
    "access": "access",
    "correction": "correction",
    "erasure": "erasure",
    "restriction": "restriction of processing",
    "objection": "objection to processing",
    "portability": "data portability",
    "complaint": "complaint",
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
# The same, for a customer who writes English (the status answer in the chat)
STATUS_TEXT_EN = {
    "received": "received, awaiting a confirmed identity",
    "verified": "received, identity confirmed",
    "in_progress": "in progress",
    "done": "done",
    "rejected": "rejected",
}
REJECTION_CATEGORIES_EN = {
    "identity": "we could not confirm your identity",
    "no_data": "we hold no data about you",
    "legal_obligation": "the law requires us to keep the data",
    "unfounded": "the request is manifestly unfounded or excessive",
    "withdrawn": "the request was withdrawn",
    "duplicate": "the request has already been handled in another case",
    "other": "see the reasons we have sent you",
}


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


def relative_days(days: int, short: bool = False, language: str = "nb") -> str:
    if language == "en":
        return _relative_days_en(days, short)
    if days == 0:
        return "i dag"
    if days == 1:
        return "i morgen"
    if days > 1:
        return f"om {days} dager"
    late = "1 dag" if days == -1 else f"{-days} dager"
    return f"{late} over" if short else f"{late} over fristen"


def _relative_days_en(days: int, short: bool) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    late = "1 day" if days == -1 else f"{-days} days"
    return f"{late} late" if short else f"{late} past the due date"


def date_text(moment: Optional[datetime]) -> str:
    return oslo(moment).strftime("%d.%m.%Y") if moment is not None else ""


def due_text(
    due: Optional[datetime],
    now: Optional[datetime] = None,
    short: bool = False,
    language: str = "nb",
) -> str:
    """``25.12.2026 (om 30 dager)``; ``(i dag)``, ``(3 dager over fristen)`` (``short``:
    ``(3 dager over)``, for tables)."""
    if due is None:
        return ""
    return f"{date_text(due)} ({relative_days(days_left(due, now), short, language)})"


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


# The status answer's words: (nb, en)
_STATUS_WORDS = {
    "done": ("ferdig", "done"),
    "rejected": (
        "avslått {date}, fordi {why}. Du kan klage til",
        "rejected {date}, because {why}. You can complain to",
    ),
    "received": ("mottatt", "received"),
    "due": ("Frist", "Due"),
    "extended": ("Fristen er forlenget", "The due date has been extended"),
}


def status_line(ticket: TicketView, now: Optional[datetime] = None, language: str = "nb") -> str:
    """One ticket, for the verified person, in at most 320 characters."""
    en = language == "en"
    words = {key: pair[1] if en else pair[0] for key, pair in _STATUS_WORDS.items()}
    kind = (KIND_TEXT_EN if en else KIND_TEXT).get(ticket.kind, ticket.kind)
    head = f"{kind[:1].upper()}{kind[1:]} ({ticket.reference}): "
    if ticket.status == "done":
        return fit(f"{head}{words['done']} {date_text(ticket.closed_at)}.".replace(" .", "."))
    if ticket.status == "rejected":
        reasons = REJECTION_CATEGORIES_EN if en else REJECTION_CATEGORIES
        why = reasons.get(ticket.rejection_category or DEFAULT_REJECTION)
        why = why or reasons[DEFAULT_REJECTION]
        said = words["rejected"].format(date=date_text(ticket.closed_at), why=why)
        return fit(f"{head}{said} {SUPERVISORY_AUTHORITY}.")
    state = (STATUS_TEXT_EN if en else STATUS_TEXT).get(ticket.status, ticket.status)
    if ticket.kind == "complaint" and ticket.status == "received":
        state = words["received"]  # a complaint needs no proof of identity
    text = f"{head}{state}. {words['due']} {due_text(ticket.due_at, now, language=language)}."
    if ticket.extended:
        reason = " ".join((ticket.extension_reason or "").split()).rstrip(".")
        extra = f" {words['extended']}"
        room = SMS_LIMIT - len(text) - len(extra) - len(": .")
        if reason and room > 10:
            if len(reason) > room:
                reason = reason[: room - 1].rstrip() + "…"
            extra += f": {reason}"
        text += extra + "."
    return fit(text)


def status_lines(
    tickets: List[TicketView], now: Optional[datetime] = None, language: str = "nb"
) -> List[str]:
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
    return [status_line(t, now, language) for t in [*open_, *closed]]


def staff_alert(
    *,
    reference: str,
    kind: str,
    channel: str,
    verified: bool,
    due_at: datetime,
    status: str,
    now: Optional[datetime] = None,
    link: Optional[str] = None,
    breach: bool = False,
) -> str:
    """The alert to staff on a new ticket: reference, kind, channel, due date, and where to
    open it: ``link`` (the ticket's page in the staff inbox, no token in it) or the command.
    ``breach``: the customer's words say their data reached someone else (GDPR Art. 33)."""
    kind_text = KIND_TEXT.get(kind, kind)
    where = link or f"klbot requests show {reference}"
    if status == "done":
        # an opt-out takes effect at once: for staff to know, nothing to do
        return fit(
            f"Ny personvernsak {reference}: {kind_text} ({kind}), kanal {channel}. Utført "
            f"automatisk, ingen handling nødvendig. Se: {where}"
        )
    identity = "identitet bekreftet" if verified else "identitet ikke bekreftet"
    flag = "MULIG BRUDD PÅ PERSONDATASIKKERHETEN (72 timer, art. 33). " if breach else ""
    return fit(
        f"{flag}Ny personvernsak {reference}: {kind_text} ({kind}), kanal {channel}, "
        f"{identity}. Frist {due_text(due_at, now)}. Åpne: {where}"
    )


def closing_notice(
    reference: str, status: str, category: Optional[str] = None, language: str = "nb"
) -> str:
    """To the customer when staff close the ticket, in the ticket's language: only the
    reference, no personal data."""
    en = language == "en"
    if status == "done":
        if en:
            return fit(
                f"KL Miljøvarme: Your request with reference {reference} has been dealt with. "
                f"Questions? Contact us: {COMPANY_CONTACT_EN}."
            )
        return fit(
            f"KL Miljøvarme: Forespørselen din med referanse {reference} er ferdig behandlet. "
            f"Spørsmål? Kontakt oss: {COMPANY_CONTACT}."
        )
    reasons = REJECTION_CATEGORIES_EN if en else REJECTION_CATEGORIES
    why = reasons.get(category or DEFAULT_REJECTION) or reasons[DEFAULT_REJECTION]
    if en:
        return fit(
            f"KL Miljøvarme: Your request with reference {reference} has been rejected because "
            f"{why}. You can complain to {SUPERVISORY_AUTHORITY}. Questions: {COMPANY_CONTACT_EN}."
        )
    return fit(
        f"KL Miljøvarme: Forespørselen din med referanse {reference} er avslått fordi {why}. "
        f"Du kan klage til {SUPERVISORY_AUTHORITY}. Spørsmål: {COMPANY_CONTACT}."
    )


# What a corrected field is called in the notice that tells the customer what changed
FIELD_TEXT = {
    "name": ("navnet", "the name"),
    "address": ("adressen", "the address"),
    "phone": ("telefonnummeret", "the phone number"),
    "email": ("e-postadressen", "the e-mail address"),
    "contact_person": ("kontaktpersonen", "the contact person"),
}


def correction_notice(reference: str, field: str, language: str = "nb") -> str:
    """To the customer when a correction is applied: which field changed (not its value:
    the notice may travel by SMS)."""
    nb, en = FIELD_TEXT.get(field, (field, field))
    if language == "en":
        return fit(
            f"KL Miljøvarme: We have corrected {en} in our customer register as you asked "
            f"(reference {reference}). See it in your access extract, or contact us: "
            f"{COMPANY_CONTACT_EN}."
        )
    return fit(
        f"KL Miljøvarme: Vi har rettet {nb} i kunderegisteret vårt slik du ba om "
        f"(referanse {reference}). Spørsmål? Kontakt oss: {COMPANY_CONTACT}."
    )


PURPOSE_TEXT = {
    "marketing": ("markedsføring", "marketing"),
    "surveys": ("kundeundersøkelser", "customer surveys"),
    "analyses": ("analyser", "analyses"),
    "all": (
        "all behandling vi ikke må gjøre etter loven",
        "all processing the law does not require of us",
    ),
}


def purposes_text(covers: List[str], language: str = "nb") -> str:
    index = 1 if language == "en" else 0
    names = [PURPOSE_TEXT.get(c, (c, c))[index] for c in covers]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + (" and " if language == "en" else " og ") + names[-1]


def mark_notice(reference: str, kind: str, covers: List[str], language: str = "nb") -> str:
    """To the customer when their restriction or objection takes effect: what stops."""
    what = purposes_text(covers, language)
    if language == "en":
        word = "restriction" if kind == "restriction" else "objection"
        return fit(
            f"KL Miljøvarme: Your {word} (reference {reference}) is registered: we no longer "
            f"use your data for {what} until it is lifted. Questions: {COMPANY_CONTACT_EN}."
        )
    word = "begrensningen" if kind == "restriction" else "protesten"
    return fit(
        f"KL Miljøvarme: Vi har registrert {word} din (referanse {reference}): vi bruker ikke "
        f"opplysningene dine til {what} før den eventuelt oppheves. Spørsmål: "
        f"{COMPANY_CONTACT}."
    )


def extension_notice(reference: str, due: datetime, reason: str, language: str = "nb") -> str:
    """GDPR Art. 12(3): the customer is told the new due date and why, within two SMS
    segments (a long reason is shortened, the date and the reference never)."""
    reason = " ".join((reason or "").split()).rstrip(".")
    if language == "en":
        head = (
            f"KL Miljøvarme: We need more time for your request {reference}. The new due date "
            f"is {date_text(due)}. Reason: "
        )
        tail = f". Questions: {COMPANY_CONTACT_EN}."
    else:
        head = (
            f"KL Miljøvarme: Vi trenger mer tid på forespørselen din {reference}. Ny frist er "
            f"{date_text(due)}. Grunn: "
        )
        tail = f". Spørsmål: {COMPANY_CONTACT}."
    room = SMS_LIMIT - len(head) - len(tail)
    if len(reason) > room:
        reason = reason[: max(room - 1, 0)].rstrip() + "…"
    return fit(head + reason + tail)


def erasure_receipt(reference: str, language: str = "nb", short: bool = False) -> str:
    """The receipt of an erasure: what was erased, what is kept and why (GDPR Art. 12(1),
    17). ``short``: within two SMS segments."""
    if language == "en":
        if short:
            return fit(
                f"KL Miljøvarme: Erasure {reference} done. Erased: contact details, marketing "
                "permissions, chats, codes. Kept: customer no. and invoices (Bookkeeping Act, "
                "5 yrs), a block on marketing to you, the case log without contact details. "
                f"Questions: {COMPANY_CONTACT_EN}."
            )
        return (
            f"KL Miljøvarme: Your erasure request {reference} has been carried out.\n"
            "Erased: your name, address, phone number, e-mail address and contact person; "
            "your marketing permissions; your conversations with our assistant; one-time "
            "codes, notifications and linked chat identities; contact details and free text "
            "on your requests.\n"
            "Kept, and why: your customer number and invoices, because the Bookkeeping Act "
            "(bokføringsloven) requires us to keep them for 5 years; your contact points on "
            "our list of those who must get no marketing, so that you are not contacted "
            "again; the log of your requests without contact details, to document that we "
            "handled them (GDPR Art. 5(2)).\n"
            f"Questions: {COMPANY_CONTACT_EN}. You can complain to {SUPERVISORY_AUTHORITY}."
        )
    if short:
        return fit(
            f"KL Miljøvarme: Sletting {reference} er utført. Slettet: kontaktopplysninger, "
            "samtykker til reklame, samtaler, koder. Beholdt: kundenr. og fakturaer "
            "(bokføringsloven, 5 år), sperre mot reklame, saksloggen uten "
            f"kontaktopplysninger. Spørsmål: {COMPANY_CONTACT}."
        )
    return (
        f"KL Miljøvarme: Slettingen du ba om ({reference}) er utført.\n"
        "Slettet: navn, adresse, telefonnummer, e-postadresse og kontaktperson; samtykker "
        "til markedsføring; samtalene dine med assistenten vår; engangskoder, varsler og "
        "koblede chat-identiteter; kontaktopplysninger og fritekst i sakene dine.\n"
        "Beholdt, og hvorfor: kundenummeret og fakturaene, fordi bokføringsloven krever at "
        "vi oppbevarer dem i 5 år; kontaktpunktene dine på listen over dem som ikke skal ha "
        "markedsføring, så du ikke kontaktes igjen; loggen over sakene dine uten "
        "kontaktopplysninger, som dokumenterer at vi har behandlet dem (GDPR art. 5 nr. 2).\n"
        f"Spørsmål: {COMPANY_CONTACT}. Du kan klage til {SUPERVISORY_AUTHORITY}."
    )
