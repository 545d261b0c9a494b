"""Customers: lookup by contact point, CSV import, access/portability export, erasure."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.register import audit
from bot.register.contacts import normalize_email, normalize_phone
from bot.register.models import (
    Challenge,
    ChannelIdentity,
    Customer,
    OutboxMessage,
    PrivacyRequest,
    Suppression,
    utcnow,
)

COLUMNS = [
    "customer_number",
    "name",
    "address",
    "postal_code",
    "city",
    "phone",
    "email",
    "contact_person",
    "marketing_sms",
    "marketing_email",
    "marketing_post",
]
BOOLEANS = {"true": True, "false": False}

# What the privacy policy (bot/policy) states, given with every access/portability extract.
POLICY_FACTS = {
    "controller": "KL Miljøvarme, Langstranda 571, NO-1970 Hemnes; "
    "tlf. +47 63 85 88 70, e-post biokjell@miljovarme.no",
    "purposes": [
        "Kundeadministrasjon, fakturering og gjennomføring av kjøp/avtaler",
        "Markedsføring (nyhetsbrev, tilbud på SMS, e-post og brev) – kan reserveres mot",
        "Kundeundersøkelser og analyser for å forbedre tjenestene",
        "Oppfylle rettslige forpliktelser (regnskap og bokføring)",
        "Rekruttering (søknader)",
        "Sikkerhet og drift av nettsider og systemer",
        "Besvare henvendelser",
    ],
    "recipients": [
        "Databehandlere som leverer IT-tjenester, distribusjon og spedisjon, kommunikasjon",
        "Offentlige myndigheter, politi og domstoler når loven krever det",
    ],
    "retention": [
        "Opplysningene slettes når de ikke lenger er nødvendige for formålet",
        "Regnskapsopplysninger oppbevares så lenge bokføringsloven krever",
        "Søknader slettes etter 3 måneder",
    ],
    "rights": "Innsyn, retting, sletting, begrensning, protest, dataportabilitet, og klage "
    "til Datatilsynet",
}


class CsvImportError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0


@dataclass
class ErasureReport:
    customer_number: str
    erased: List[str] = field(default_factory=list)
    kept: Dict[str, str] = field(default_factory=dict)
    conversation_contacts: List[str] = field(default_factory=list)


def find_by_contact(
    s: Session, *, email: Optional[str] = None, phone: Optional[str] = None
) -> Optional[Customer]:
    if email:
        value = normalize_email(email)
        column = Customer.email
    elif phone:
        value = normalize_phone(phone)
        column = Customer.phone
    else:
        return None
    if value is None:
        return None
    return (
        s.execute(
            select(Customer)
            .where(column == value, Customer.erased_at.is_(None))
            .order_by(Customer.id)
        )
        .scalars()
        .first()
    )


def get_by_number(s: Session, customer_number: str) -> Optional[Customer]:
    return s.execute(
        select(Customer).where(Customer.customer_number == str(customer_number).strip())
    ).scalar_one_or_none()


def _parse_row(line: int, row: Dict[str, Optional[str]]) -> dict:
    if None in row or any(v is None for v in row.values()):
        raise CsvImportError(line, f"expected {len(COLUMNS)} columns")
    values = {k: (row[k] or "").strip() for k in COLUMNS}
    number = values["customer_number"]
    if not number.isdigit():
        raise CsvImportError(line, "customer_number must be digits")
    phone = None
    if values["phone"]:
        phone = normalize_phone(values["phone"])
        if phone is None:
            raise CsvImportError(line, "phone is not a valid phone number")
    email = None
    if values["email"]:
        email = normalize_email(values["email"])
        if email is None:
            raise CsvImportError(line, "email is not a valid e-mail address")
    record = {
        "customer_number": number,
        "name": values["name"] or None,
        "address": values["address"] or None,
        "postal_code": values["postal_code"] or None,
        "city": values["city"] or None,
        "phone": phone,
        "email": email,
        "contact_person": values["contact_person"] or None,
    }
    for flag in ("marketing_sms", "marketing_email", "marketing_post"):
        text = values[flag].lower()
        if text not in BOOLEANS:
            raise CsvImportError(line, f"{flag} must be true or false")
        record[flag] = BOOLEANS[text]
    return record


def import_csv(s: Session, path, *, actor: str = "import") -> ImportResult:
    """Upsert by customer_number in the caller's transaction; a bad row raises first."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CsvImportError(1, f"missing columns: {', '.join(missing)}")
            records = []
            seen = set()
            for row in reader:
                record = _parse_row(reader.line_num, row)
                if record["customer_number"] in seen:
                    raise CsvImportError(reader.line_num, "customer_number appears twice")
                seen.add(record["customer_number"])
                records.append(record)
    except UnicodeDecodeError as exc:
        raise CsvImportError(0, "the file is not UTF-8") from exc
    result = ImportResult()
    for record in records:
        customer = get_by_number(s, record["customer_number"])
        if customer is None:
            customer = Customer(**record)
            s.add(customer)
            s.flush()
            result.created += 1
            audit.record(s, actor=actor, action="create", entity="customer", entity_id=customer.id)
        else:
            changed = [k for k, v in record.items() if getattr(customer, k) != v]
            for key in changed:
                setattr(customer, key, record[key])
            if changed:
                result.updated += 1
                audit.record(
                    s,
                    actor=actor,
                    action="update",
                    entity="customer",
                    entity_id=customer.id,
                    changes={"fields": changed},
                )
    s.flush()
    return result


def _iso(value) -> Optional[str]:
    return value.isoformat() if value is not None else None


def export_customer(s: Session, customer_number: str) -> dict:
    """Everything held about the person, with the policy's purposes, recipients, retention."""
    customer = get_by_number(s, customer_number)
    if customer is None:
        raise LookupError(f"no customer {customer_number}")
    suppressed = []
    for channel, address in (("sms", customer.phone), ("email", customer.email)):
        if (
            address
            and s.execute(
                select(Suppression).where(
                    Suppression.channel == channel, Suppression.address == address
                )
            ).first()
        ):
            suppressed.append(channel)
    requests = s.execute(
        select(PrivacyRequest).where(PrivacyRequest.customer_id == customer.id)
    ).scalars()
    return {
        "format": "klbot-customer-export/1",
        "exported_at": utcnow().isoformat(),
        "customer": {
            "customer_number": customer.customer_number,
            "name": customer.name,
            "address": customer.address,
            "postal_code": customer.postal_code,
            "city": customer.city,
            "phone": customer.phone,
            "email": customer.email,
            "contact_person": customer.contact_person,
            "created_at": _iso(customer.created_at),
        },
        "marketing_permissions": {
            "sms": customer.marketing_sms,
            "email": customer.marketing_email,
            "post": customer.marketing_post,
        },
        "marketing_suppressed": suppressed,
        "requests": [
            {
                "reference": r.reference,
                "kind": r.kind,
                "status": r.status,
                "created_at": _iso(r.created_at),
                "due_at": _iso(r.due_at),
            }
            for r in requests
        ],
        "policy": POLICY_FACTS,
    }


def erase_customer(s: Session, customer_number: str, *, actor: str, reason: str) -> ErasureReport:
    """Delete or anonymise what may go; keep what the law requires, saying why."""
    customer = get_by_number(s, customer_number)
    if customer is None:
        raise LookupError(f"no customer {customer_number}")
    report = ErasureReport(customer_number=customer.customer_number)
    report.conversation_contacts = [c for c in (customer.phone, customer.email) if c]
    contacts = list(report.conversation_contacts)
    if contacts:
        s.execute(delete(OutboxMessage).where(OutboxMessage.to.in_(contacts)))
        if customer.phone:
            s.execute(delete(ChannelIdentity).where(ChannelIdentity.phone == customer.phone))
    s.execute(delete(Challenge).where(Challenge.customer_id == customer.id))
    for attr in ("name", "address", "postal_code", "city", "phone", "email", "contact_person"):
        setattr(customer, attr, None)
    customer.marketing_sms = customer.marketing_email = customer.marketing_post = False
    customer.erased_at = utcnow()
    s.execute(
        update(PrivacyRequest)
        .where(PrivacyRequest.customer_id == customer.id)
        .values(conversation_id=None)
    )
    report.erased = [
        "name, address, postal code, city, phone, e-mail, contact person",
        "marketing permissions",
        "verification codes, notifications and channel identities",
    ]
    report.kept = {
        "customer_number": "the key of invoices and accounting records, which the Bookkeeping "
        "Act (bokføringsloven) requires us to keep for 5 years",
        "suppressions": "the contact points that must get no marketing stay on the "
        "suppression list, so that the person is not contacted again",
        "requests": "the tickets (without contact details) document that we handled the "
        "person's requests (GDPR Art. 5(2) accountability)",
    }
    audit.record(
        s,
        actor=actor,
        action="erase",
        entity="customer",
        entity_id=customer.id,
        reason=reason,
    )
    return report
