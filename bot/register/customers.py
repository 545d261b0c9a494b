"""Customers: lookup by contact point, CSV import, access/portability export (erasure:
bot.register.erasure)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.policy.facts import policy_facts
from bot.register import audit, consent
from bot.register.contacts import normalize_email, normalize_phone, registered_address
from bot.register.lookup import find_by_contact, get_by_number  # noqa: F401 (re-exported)
from bot.register.models import (
    CHANNELS,
    Customer,
    CustomerMark,
    ErasureTombstone,
    PrivacyRequest,
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


class CsvImportError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    # customer numbers erased before: skipped, never brought back
    skipped_erased: List[str] = field(default_factory=list)
    # (customer number, channel, why) where the file said marketing on and it stays off
    kept_off: List[Tuple[str, str, str]] = field(default_factory=list)
    skipped_not_empty: bool = False


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


def _read_csv(path) -> List[dict]:
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
    return records


def is_empty(s: Session) -> bool:
    """No customer and no erased customer number: a register nobody has used yet."""
    customers = s.execute(select(func.count()).select_from(Customer)).scalar_one()
    graves = s.execute(select(func.count()).select_from(ErasureTombstone)).scalar_one()
    return customers == 0 and graves == 0


def is_erased(s: Session, customer_number: str) -> bool:
    return s.get(ErasureTombstone, str(customer_number).strip()) is not None


def import_csv(s: Session, path, *, actor: str = "import", if_empty: bool = False) -> ImportResult:
    """Upsert by customer_number in the caller's transaction; a bad row raises first.

    What a customer asked for sticks: an erased customer number is skipped (and reported);
    marketing is turned on only for a customer the import creates and never for a contact
    point on the suppression list; for an existing customer the file can turn marketing off
    but not on (consent comes from the person, or staff with a reason). ``if_empty``: do
    nothing unless the register has never had a customer (``make run``'s demo data).
    """
    records = _read_csv(path)
    result = ImportResult()
    if if_empty and not is_empty(s):
        result.skipped_not_empty = True
        return result
    for record in records:
        number = record["customer_number"]
        customer = get_by_number(s, number)
        if is_erased(s, number) or (customer is not None and customer.erased):
            result.skipped_erased.append(number)
            continue
        wanted = {channel: record.pop(f"marketing_{channel}") for channel in CHANNELS}
        new = customer is None
        if new:
            customer = Customer(**record)
            for channel in CHANNELS:
                setattr(customer, f"marketing_{channel}", False)  # the ledger turns them on
            s.add(customer)
            s.flush()
            result.created += 1
            audit.record(s, actor=actor, action="create", entity="customer", entity_id=customer.id)
            changed: List[str] = []
        else:
            changed = [k for k, v in record.items() if getattr(customer, k) != v]
            for key in changed:
                setattr(customer, key, record[key])
        for channel in CHANNELS:
            have = bool(getattr(customer, f"marketing_{channel}"))
            address = registered_address(customer, channel)
            if wanted[channel] and not have:
                refusal = consent.may_grant(s, customer, channel, address, new=new)
                if refusal is not None:
                    result.kept_off.append((number, channel, refusal.why))
                    continue
                why = "permission in the imported file (new customer)"
                consent.record(
                    s,
                    channel=channel,
                    granted=True,
                    customer=customer,
                    source=consent.IMPORT,
                    actor=actor,
                    reason=why,
                )
                changed.append(f"marketing_{channel}")
            elif have and (not wanted[channel] or consent.is_suppressed(s, channel, address)):
                why = (
                    "the contact point is on the suppression list"
                    if wanted[channel]
                    else "no permission in the imported file"
                )
                if wanted[channel]:
                    result.kept_off.append((number, channel, why))
                consent.record(
                    s,
                    channel=channel,
                    granted=False,
                    customer=customer,
                    source=consent.IMPORT,
                    actor=actor,
                    reason=why,
                )
                changed.append(f"marketing_{channel}")
        if changed and not new:
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


class ConsentError(ValueError):
    pass


def staff_consent(
    s: Session, customer_number: str, channel: str, grant: bool, *, actor: str, reason: str
) -> None:
    """Consent given or withdrawn outside the assistant, recorded by staff with a reason.

    Withdrawing puts the registered contact point on the suppression list too; granting
    takes it off (the person said yes on this channel) and turns the permission on."""
    customer = get_by_number(s, customer_number)
    if customer is None or customer.erased:
        raise LookupError(f"no customer {customer_number}")
    if not (reason or "").strip():
        raise ConsentError("a consent change needs a reason")
    address = registered_address(customer, channel)
    if grant and address is None:
        raise ConsentError(f"customer {customer_number} has no contact point for {channel}")
    consent.record(
        s,
        channel=channel,
        granted=grant,
        address=address,
        customer=customer,
        source=consent.STAFF,
        actor=actor,
        reason=reason,
    )


def _iso(value) -> Optional[str]:
    return value.isoformat() if value is not None else None


def export_customer(s: Session, customer_number: str) -> dict:
    """Everything held about the person, with the policy's purposes, recipients, retention."""
    customer = get_by_number(s, customer_number)
    if customer is None:
        raise LookupError(f"no customer {customer_number}")
    suppressed = [
        channel
        for channel in CHANNELS
        if consent.is_suppressed(s, channel, registered_address(customer, channel))
    ]
    requests = s.execute(
        select(PrivacyRequest).where(PrivacyRequest.customer_id == customer.id)
    ).scalars()
    marks = s.execute(
        select(CustomerMark)
        .where(CustomerMark.customer_id == customer.id)
        .order_by(CustomerMark.id)
    ).scalars()
    # the policy's facts, quoted; the supervisory authority is not in the policy but GDPR
    # Art. 15(1)(f) requires the extract to name it, so it stands apart from the quotes
    policy = policy_facts()
    authority = policy.pop("complaint_to")
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
        "processing_marks": [
            {
                "kind": m.kind,
                "covers": m.covers,
                "since": _iso(m.created_at),
                "request": m.request_reference,
                "lifted_at": _iso(m.lifted_at),
            }
            for m in marks
        ],
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
        "policy": policy,
        "supervisory_authority": authority,
    }
