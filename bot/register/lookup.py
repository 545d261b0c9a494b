"""Finding a customer in the register: by customer number, or by the e-mail address or phone
number a person gives (normalised first). Erased customers are never found by contact point.

One place for the lookup that identity checks, requests, opt-outs and the CLI all need.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.register.contacts import classify_contact, normalize_email, normalize_phone
from bot.register.models import Customer


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


def find_customer(s: Session, identifier: Optional[str]) -> Optional[Customer]:
    """The (not erased) customer whose e-mail or phone ``identifier`` is, or None."""
    found = classify_contact(identifier or "")
    if not found:
        return None
    kind, value = found
    return find_by_contact(s, email=value) if kind == "email" else find_by_contact(s, phone=value)


def get_by_number(s: Session, customer_number: str) -> Optional[Customer]:
    return s.execute(
        select(Customer).where(Customer.customer_number == str(customer_number).strip())
    ).scalar_one_or_none()
