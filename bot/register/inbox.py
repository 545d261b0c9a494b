"""The staff inbox's use cases: the queue, a ticket's page (one timeline), assigning, notes.

The web inbox (``bot.staff_web``) only renders what these return and calls these (and
``bot.register.requests``' ``update_status``/``extend_deadline``) for every action, so the
CLI and the inbox share one implementation of each. Texts are Norwegian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy import Column, ForeignKey, Integer, or_, select
from sqlalchemy.orm import Mapped, Session

from bot.register import audit, erasure, wording
from bot.register.lookup import find_customer, get_by_number
from bot.register.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    AuditEntry,
    Base,
    OutboxMessage,
    PrivacyRequest,
    UTCDateTime,
    utcnow,
)
from bot.register.requests import RequestError, get_by_reference
from bot.register.staff_accounts import StaffAccount

TABS = {
    "open": "Alle åpne",
    "mine": "Mine",
    "unassigned": "Ikke tildelt",
    "overdue": "Over fristen",
    "unverified": "Ubekreftet identitet",
    "closed": "Lukket",
}
STATUS_LABEL = {
    "received": "mottatt (ubekreftet)",
    "verified": "bekreftet, ikke startet",
    "in_progress": "under behandling",
    "done": "ferdig",
    "rejected": "avslått",
}
ACTION_LABEL = {
    "create": "Saken ble opprettet",
    "status": "Status endret",
    "extend": "Fristen forlenget",
    "attempt": "Kunden spurte igjen",
    "note": "Notat",
    "assign": "Tildelt",
    "view_extract": "Utdraget ble åpnet",
    "erase": "Slettet",
}
VERIFICATION_LABEL = {
    "otp_sms": "engangskode på SMS",
    "otp_email": "engangskode på e-post",
    "staff": "bekreftet av ansatt",
    "channel": "kanalen (bekreftet telefonnummer)",
}
BREACH_WINDOW = timedelta(hours=72)  # GDPR Art. 33: notify Datatilsynet within 72 hours
# a complaint that says personal data went to the wrong person, or got out
BREACH_WORDS = re.compile(
    r"feil (?:person|mottaker|adresse|kunde)|noen andre (?:fikk|har fått|har sett|kan se)"
    r"|andre (?:fikk|har fått) (?:brevet|fakturaen|opplysningene|e-posten)"
    r"|lekka|lekket|lekkasje|datainnbrudd|hacket|hackere|på avveie|wrong person"
    r"|someone else (?:got|received)",
    re.IGNORECASE,
)
MAX_NOTE = 4000
# the ticket's details as staff read them (the keys the assistant writes)
DETAIL_LABEL = {
    "about": "Kundens tekst",
    "request_details": "Kundens beskrivelse",
    "contact_given": "Kontakt kunden oppga",
    "wants_answer": "Ønsker svar",
    "field": "Felt som skal rettes",
    "new_value": "Ny verdi",
    "customer_number_given": "Kundenummer kunden oppga",
    "channel": "Kanal",
    "channels": "Kanaler",
    "erasure": "Sletterapport",
}


def detail_text(value: Any) -> str:
    """A detail's value as text (escaped by the template like everything else)."""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if value is None or value == "":
        return "–"
    if isinstance(value, (list, tuple)):
        return ", ".join(detail_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {detail_text(v)}" for k, v in value.items())
    return str(value)


class StaffAssignment(Base):
    """Who works a ticket (added in 0007): one row per ticket."""

    __tablename__ = "staff_assignments"
    request_id: Mapped[int] = Column(
        Integer, ForeignKey("privacy_requests.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = Column(
        Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False
    )
    assigned_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


def _customer_text(request: PrivacyRequest) -> str:
    details = request.details or {}
    parts = [details.get("about"), details.get("request_details"), details.get("new_value")]
    return " ".join(str(p) for p in parts if p)


def possible_breach(request: PrivacyRequest) -> bool:
    """A complaint (or any ticket) whose text says the data reached the wrong person."""
    return bool(BREACH_WORDS.search(_customer_text(request)))


@dataclass
class Badge:
    text: str
    urgent: bool  # red: overdue, or under a quarter of the time left


def badge(request: PrivacyRequest, now: Optional[datetime] = None) -> Badge:
    now = now or utcnow()
    if request.status in CLOSED_STATUSES:
        return Badge(f"lukket {wording.date_text(request.closed_at)}", False)
    days = wording.days_left(request.due_at, now)
    total = request.due_at - request.created_at
    urgent = request.due_at < now or (request.due_at - now) < total / 4
    return Badge(wording.relative_days(days), urgent)


def breach_clock(request: PrivacyRequest, now: Optional[datetime] = None) -> Optional[str]:
    """The Art. 33 clock of a possible breach: hours left to tell Datatilsynet."""
    if not possible_breach(request):
        return None
    left = request.created_at + BREACH_WINDOW - (now or utcnow())
    hours = int(left.total_seconds() // 3600)
    if hours < 0:
        return f"Mulig brudd: 72-timersfristen gikk ut for {-hours} timer siden"
    return f"Mulig brudd: {hours} timer igjen av 72 (melding til Datatilsynet)"


@dataclass
class QueueRow:
    reference: str
    kind: str
    kind_text: str
    channel: str
    verified: bool
    status: str
    status_text: str
    assignee: Optional[str]
    customer_name: Optional[str]
    badge: Badge
    breach: Optional[str]
    attempts: int


def _assignees(s: Session, ids: List[int]) -> Dict[int, StaffAccount]:
    if not ids:
        return {}
    rows = s.execute(
        select(StaffAssignment, StaffAccount)
        .join(StaffAccount, StaffAccount.id == StaffAssignment.account_id)
        .where(StaffAssignment.request_id.in_(ids))
    ).all()
    return {a.request_id: acc for a, acc in rows}


def queue(
    s: Session,
    *,
    tab: str = "open",
    me: Optional[StaffAccount] = None,
    kind: Optional[str] = None,
    status: Optional[str] = None,
    search: Optional[str] = None,
    now: Optional[datetime] = None,
    limit: int = 200,
) -> List[QueueRow]:
    """The queue: open tickets, shortest time left first. Tab ``open`` leaves out the
    unverified (``received``) ones, which have their own tab; ``closed`` is newest first."""
    now = now or utcnow()
    query = select(PrivacyRequest)
    if tab == "closed":
        query = query.where(PrivacyRequest.status.in_(CLOSED_STATUSES)).order_by(
            PrivacyRequest.closed_at.desc(), PrivacyRequest.id.desc()
        )
    else:
        query = query.order_by(PrivacyRequest.due_at, PrivacyRequest.id)
        if tab == "unverified":
            query = query.where(PrivacyRequest.status == "received")
        elif status in OPEN_STATUSES:
            query = query.where(PrivacyRequest.status.in_(OPEN_STATUSES))
        else:
            query = query.where(PrivacyRequest.status.in_(("verified", "in_progress")))
        if tab == "overdue":
            query = query.where(PrivacyRequest.due_at < now)
        assigned = select(StaffAssignment.request_id)
        if tab == "mine" and me is not None:
            query = query.where(
                PrivacyRequest.id.in_(assigned.where(StaffAssignment.account_id == me.id))
            )
        elif tab == "unassigned":
            query = query.where(PrivacyRequest.id.not_in(assigned))
    if kind:
        query = query.where(PrivacyRequest.kind == kind)
    if status:
        query = query.where(PrivacyRequest.status == status)
    text = (search or "").strip()
    if text:
        conditions = []
        reference = text.upper()
        if re.fullmatch(r"(PV-)?[A-Z0-9]{4,8}", reference):
            conditions.append(
                PrivacyRequest.reference
                == (reference if reference.startswith("PV-") else "PV-" + reference)
            )
        customer = find_customer(s, text) or (get_by_number(s, text) if text.isdigit() else None)
        if customer is not None:
            conditions.append(PrivacyRequest.customer_id == customer.id)
        if not conditions:
            return []
        query = query.where(or_(*conditions))
    requests = list(s.execute(query.limit(limit)).unique().scalars())
    assignees = _assignees(s, [r.id for r in requests])
    return [
        QueueRow(
            reference=r.reference,
            kind=r.kind,
            kind_text=wording.KIND_TEXT.get(r.kind, r.kind),
            channel=r.channel or "ukjent",
            verified=bool(r.verified),
            status=r.status,
            status_text=STATUS_LABEL.get(r.status, r.status),
            assignee=assignees[r.id].name if r.id in assignees else None,
            customer_name=r.customer.name if r.customer is not None else None,
            badge=badge(r, now),
            breach=breach_clock(r, now) if r.status in OPEN_STATUSES else None,
            attempts=r.attempts or 1,
        )
        for r in requests
    ]


def latest_id(s: Session) -> int:
    """The newest ticket's id: the queue page asks for it to say that something arrived."""
    row = s.execute(select(PrivacyRequest.id).order_by(PrivacyRequest.id.desc())).first()
    return int(row[0]) if row else 0


@dataclass
class TimelineEntry:
    at: datetime
    who: str
    what: str
    text: Optional[str] = None  # may be a customer's or staff's words: always escaped


@dataclass
class TicketPage:
    request: PrivacyRequest
    kind_text: str
    status_text: str
    badge: Badge
    breach: Optional[str]
    assignee: Optional[StaffAccount]
    customer_name: Optional[str]
    customer_number: Optional[str]
    verification: str
    details: Dict[str, Any]
    timeline: List[TimelineEntry] = field(default_factory=list)
    registered_value: Optional[str] = None  # correction: what the register holds now


def _who(actor: str, names: Dict[str, str]) -> str:
    if actor in names:
        return names[actor]
    if actor.startswith(("cli:", "staff:")):
        return f"{actor.split(':', 1)[1]} (klbot)"
    return {"assistant": "assistenten", "klbot remind": "påminnelsen"}.get(actor, actor)


def _describe(entry: AuditEntry) -> str:
    changes = entry.changes or {}
    what = ACTION_LABEL.get(entry.action, entry.action)
    if entry.action == "status" and isinstance(changes.get("status"), list):
        old, new = changes["status"]
        what = f"Status: {STATUS_LABEL.get(old, old)} → {STATUS_LABEL.get(new, new)}"
        if changes.get("category"):
            why = wording.REJECTION_CATEGORIES.get(changes["category"], changes["category"])
            what += f" (begrunnelse til kunden: {why})"
        if changes.get("customer_notified"):
            what += f"; kunden fikk beskjed på {changes['customer_notified']}"
        elif new in CLOSED_STATUSES:
            what += "; ingen kontaktvei til kunden: svar kunden selv"
    elif entry.action == "attempt":
        what = f"Kunden spurte igjen (forsøk {changes.get('attempts')})"
    elif entry.action == "create":
        what = f"Saken ble opprettet ({STATUS_LABEL.get(changes.get('status'), '')})"
    elif entry.action == "extend":
        what = "Fristen forlenget med to måneder"
    elif entry.action == "assign":
        what = f"Tildelt {changes.get('to_name') or ''}".strip()
    return what


def ticket_page(s: Session, ref: str, now: Optional[datetime] = None) -> Optional[TicketPage]:
    request = get_by_reference(s, ref)
    if request is None:
        return None
    names = {f"staff#{a.id}": a.name for a in s.execute(select(StaffAccount)).scalars()}
    trail = s.execute(
        select(AuditEntry)
        .where(AuditEntry.entity == "request", AuditEntry.entity_id == request.reference)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).scalars()
    timeline = [
        TimelineEntry(
            at=e.at,
            who=_who(e.actor, names),
            what=_describe(e),
            text=e.reason if e.action not in ("attempt", "create") else None,
        )
        for e in trail
    ]
    # messages that name the ticket: the closing notice, the alert; with delivery failures
    for message in s.execute(
        select(OutboxMessage).where(OutboxMessage.body.contains(request.reference))
    ).scalars():
        what = (
            "Melding til ansatte"
            if message.purpose is None and "Ny personvernsak" in (message.body or "")
            else "Melding til kunden"
        )
        state = {"failed": "kunne ikke leveres", "sent": "levert", "recorded": "registrert"}
        what += f" ({message.channel}, {state.get(message.status, 'i kø')})"
        if message.error:
            what += f": feil {message.error}"
        timeline.append(
            TimelineEntry(at=message.created_at, who="systemet", what=what, text=message.body)
        )
    timeline.sort(key=lambda e: e.at)
    assignee = _assignees(s, [request.id]).get(request.id)
    customer = request.customer
    details = {k: v for k, v in (request.details or {}).items() if k != "notes"}
    registered = None
    if request.kind == "correction" and customer is not None:
        field_name = str(details.get("field") or "")
        if field_name in ("name", "address", "postal_code", "city", "phone", "email"):
            registered = getattr(customer, field_name)
    method = request.verification_method or ""
    verification = (
        VERIFICATION_LABEL.get(method, method or "bekreftet")
        if request.verified
        else "ikke bekreftet"
    )
    return TicketPage(
        request=request,
        kind_text=wording.KIND_TEXT.get(request.kind, request.kind),
        status_text=STATUS_LABEL.get(request.status, request.status),
        badge=badge(request, now),
        breach=breach_clock(request, now),
        assignee=assignee,
        customer_name=customer.name if customer is not None else None,
        customer_number=customer.customer_number if customer is not None else None,
        verification=verification,
        details=details,
        timeline=timeline,
        registered_value=registered,
    )


def assign(s: Session, ref: str, account: StaffAccount, *, actor: str) -> PrivacyRequest:
    """Give the ticket to ``account`` (``take``: to oneself). Audited."""
    request = get_by_reference(s, ref)
    if request is None:
        raise RequestError(f"no request with reference {ref!r}")
    if request.status not in OPEN_STATUSES:
        raise RequestError("saken er lukket")
    if account.disabled_at is not None:
        raise RequestError("kontoen er deaktivert")
    row = s.get(StaffAssignment, request.id)
    before = row.account_id if row is not None else None
    if row is None:
        s.add(StaffAssignment(request_id=request.id, account_id=account.id, assigned_at=utcnow()))
    else:
        row.account_id = account.id
        row.assigned_at = utcnow()
    audit.record(
        s,
        actor=actor,
        action="assign",
        entity="request",
        entity_id=request.reference,
        changes={"from": before, "to": account.id, "to_name": account.name},
    )
    return request


def add_note(s: Session, ref: str, text: str, *, actor: str) -> PrivacyRequest:
    """A note on the ticket (its timeline and the audit log). Staff's own words."""
    request = get_by_reference(s, ref)
    if request is None:
        raise RequestError(f"no request with reference {ref!r}")
    text = (text or "").strip()
    if not text:
        raise RequestError("notatet er tomt")
    if len(text) > MAX_NOTE:
        raise RequestError(f"notatet er lengre enn {MAX_NOTE} tegn")
    now = utcnow()
    details = dict(request.details or {})
    details["notes"] = [
        *details.get("notes", []),
        {"at": now.isoformat(), "by": actor, "note": text},
    ]
    request.details = details
    audit.record(
        s, actor=actor, action="note", entity="request", entity_id=request.reference, reason=text
    )
    return request


def record_view(s: Session, ref: str, what: str, *, actor: str) -> None:
    """Who saw a customer's data in bulk (an extract), and when."""
    audit.record(s, actor=actor, action=what, entity="request", entity_id=ref)


# What an erasure deletes and keeps, for the page that asks staff to confirm it: the
# erasure use case's own lists, in Norwegian (bot.register.erasure).
ERASES = erasure.ERASED_NB
KEEPS = erasure.KEPT_NB


class ErasureRefused(ValueError):
    """The erasure was not done (the text is for staff, in Norwegian)."""


def erase_for_ticket(s: Session, ref: str, typed_number: str, *, actor: str) -> List[str]:
    """Carry out a verified erasure ticket: the inbox's checks (an open, verified erasure of
    a known customer, the customer number typed to confirm), then the one erasure use case
    (``bot.register.erasure.erase``), which clears every store and closes the ticket last.
    Returns the references of the tickets closed."""
    request = get_by_reference(s, ref)
    if request is None or request.kind != "erasure":
        raise ErasureRefused("Saken er ikke en sletteforespørsel.")
    if request.status not in ("verified", "in_progress"):
        raise ErasureRefused("Identiteten må være bekreftet, og saken åpen, før sletting.")
    customer = request.customer
    if customer is None or customer.erased:
        raise ErasureRefused("Saken hører ikke til en kjent kunde (eller kunden er slettet).")
    if (typed_number or "").strip() != customer.customer_number:
        raise ErasureRefused("Kundenummeret stemmer ikke. Ingenting er slettet.")
    number, reference = customer.customer_number, request.reference
    # the erasure works in transactions of its own: end this one (SQLite holds its lock)
    s.commit()
    try:
        result = erasure.erase(
            number,
            actor=actor,
            reason=f"sletteforespørsel {reference}",
            request_reference=reference,
        )
    except erasure.ErasureRefused as exc:
        raise ErasureRefused(erasure.refusal_nb(exc)) from exc
    return result.closed_requests


@dataclass
class CustomerView:
    customer: Any
    consents: List[Any]
    requests: List[PrivacyRequest]
    suppressed: List[str]
    marks: List[Any] = field(default_factory=list)  # restrictions and objections in force


def look_up_customer(s: Session, query: str, *, actor: str) -> Optional[CustomerView]:
    """A customer by number, e-mail or phone: contact points, the consent ledger, requests.
    Every look is audited (who, whom, when); a miss is not (no one's data was seen)."""
    from bot.register import consent
    from bot.register.contacts import registered_address
    from bot.register.models import CHANNELS, ConsentEvent

    text = (query or "").strip()[:200]
    if not text:
        return None
    customer = get_by_number(s, text) if text.isdigit() and len(text) < 12 else None
    customer = customer or find_customer(s, text)
    if customer is None:
        return None
    events = list(
        s.execute(
            select(ConsentEvent)
            .where(ConsentEvent.customer_id == customer.id)
            .order_by(ConsentEvent.at, ConsentEvent.id)
        ).scalars()
    )
    tickets = list(
        s.execute(
            select(PrivacyRequest)
            .where(PrivacyRequest.customer_id == customer.id)
            .order_by(PrivacyRequest.id.desc())
        ).scalars()
    )
    suppressed = [
        c for c in CHANNELS if consent.is_suppressed(s, c, registered_address(customer, c))
    ]
    from bot.register.casework import active_marks

    audit.record(s, actor=actor, action="view", entity="customer", entity_id=customer.id)
    return CustomerView(
        customer=customer,
        consents=events,
        requests=tickets,
        suppressed=suppressed,
        marks=active_marks(s, customer.id),
    )


def suppressions_csv(s: Session, *, actor: str) -> str:
    """The suppression list for the marketing tool, as CSV no spreadsheet runs (audited)."""
    from bot.register.spreadsheet import to_csv
    from bot.register.suppressions import list_suppressions

    rows = [
        (x.channel, x.address, x.created_at.isoformat() if x.created_at else "")
        for x in list_suppressions(s)
    ]
    audit.record(
        s, actor=actor, action="export", entity="suppressions", changes={"rows": len(rows)}
    )
    return to_csv(["channel", "address", "created_at"], rows)


def retry_message(s: Session, message_id: int, *, actor: str) -> OutboxMessage:
    """Queue a failed delivery again (the delivery worker picks it up). Audited."""
    message = s.get(OutboxMessage, message_id)
    if message is None or message.status != "failed":
        raise RequestError("Meldingen finnes ikke, eller den har ikke feilet.")
    message.status = "queued"
    message.attempts = 0
    message.next_attempt_at = None
    message.error = None
    audit.record(s, actor=actor, action="retry", entity="outbox", entity_id=message.id)
    return message


@dataclass
class Letter:
    sender: List[str]
    recipient: List[str]
    date: str
    reference: str
    subject: str
    paragraphs: List[str]


def letter(s: Session, ref: str, now: Optional[datetime] = None) -> Optional[Letter]:
    """A Norwegian letter to the customer about the ticket (for customers without e-mail):
    the receipt or extension notice while open, the closing answer when closed."""
    from bot.policy import COMPANY_CONTACT
    from bot.policy.facts import CONTROLLER, SUPERVISORY_AUTHORITY

    request = get_by_reference(s, ref)
    if request is None:
        return None
    now = now or utcnow()
    customer = request.customer
    recipient = []
    if customer is not None and not customer.erased:
        recipient = [customer.name or "", customer.address or ""]
        recipient.append(f"{customer.postal_code or ''} {customer.city or ''}".strip())
        recipient = [line for line in recipient if line]
    kind = wording.KIND_TEXT.get(request.kind, request.kind)
    received = wording.date_text(request.created_at)
    text = [f"Vi viser til forespørselen din om {kind}, mottatt {received}, med referanse "
            f"{request.reference}."]  # fmt: skip
    if request.status == "done":
        subject = f"Svar på forespørselen din om {kind}"
        text.append("Forespørselen er nå ferdig behandlet.")
        if request.kind in ("access", "portability"):
            text.append("Vedlagt er en utskrift av alle opplysningene vi har registrert om deg.")
        if request.kind == "erasure":
            text.append("Vi har slettet: " + "; ".join(ERASES) + ".")
            text.append(
                "Vi har beholdt: " + "; ".join(f"{k} ({v})" for k, v in KEEPS.items()) + "."
            )
    elif request.status == "rejected":
        subject = f"Svar på forespørselen din om {kind}"
        why = wording.REJECTION_CATEGORIES.get(
            request.rejection_category or wording.DEFAULT_REJECTION,
            wording.REJECTION_CATEGORIES[wording.DEFAULT_REJECTION],
        )
        text.append(f"Vi kan dessverre ikke imøtekomme forespørselen fordi {why}.")
        text.append(f"Er du uenig, kan du klage til {SUPERVISORY_AUTHORITY}.")
    elif request.extended_at is not None:
        subject = f"Forlenget frist for forespørselen din om {kind}"
        text.append(
            f"Vi trenger mer tid og har forlenget fristen til {wording.date_text(request.due_at)}"
            f" (personvernforordningen artikkel 12 nr. 3). Årsak: {request.extension_reason}"
        )
    else:
        subject = f"Vi har mottatt forespørselen din om {kind}"
        text.append(f"Du får svar senest {wording.date_text(request.due_at)}.")
    text.append(f"Har du spørsmål, kontakt oss på {COMPANY_CONTACT}. Oppgi referansen.")
    return Letter(
        sender=list(CONTROLLER),
        recipient=recipient,
        date=wording.date_text(now),
        reference=request.reference,
        subject=subject,
        paragraphs=text,
    )
