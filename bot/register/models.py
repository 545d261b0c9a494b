"""ORM models of the customer register (SQLAlchemy 1.4 in its 2.0 style).

Times are stored as UTC and always come back timezone-aware (``UTCDateTime``, also on
SQLite). The audit log records who changed what, when and why, with field names but never
the values, so it holds no personal data and stays append-only after an erasure.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Dict, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declarative_base, relationship, validates
from sqlalchemy.types import TypeDecorator

Base = declarative_base()


class RequestKind(str, enum.Enum):
    """The kinds of ticket (SPEC.md): the one list; the intent of a request is
    ``request_<kind>`` (complaints come from ``ask_complaint``)."""

    OPT_OUT = "opt_out"
    ACCESS = "access"
    CORRECTION = "correction"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    PORTABILITY = "portability"
    COMPLAINT = "complaint"


class RequestStatus(str, enum.Enum):
    """A ticket's lifecycle: received -> verified -> in_progress -> done | rejected (see
    bot.register.requests.TRANSITIONS). The database checks the value (0006)."""

    RECEIVED = "received"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REJECTED = "rejected"


class Purpose(str, enum.Enum):
    """What a restriction or objection mark on a customer stops (``all``: every one)."""

    MARKETING = "marketing"
    SURVEYS = "surveys"
    ANALYSES = "analyses"
    ALL = "all"


class Language(str, enum.Enum):
    """The customer's language, kept on the ticket: what they are told is in it."""

    NB = "nb"
    EN = "en"


REQUEST_KINDS = tuple(kind.value for kind in RequestKind)
STATUSES = tuple(status.value for status in RequestStatus)
OPEN_STATUSES = ("received", "verified", "in_progress")
CLOSED_STATUSES = ("done", "rejected")
LANGUAGES = tuple(language.value for language in Language)
PURPOSES = tuple(purpose.value for purpose in Purpose)
MARK_KINDS = ("restriction", "objection")


def check_in(column: str, values, name: str) -> CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (the Python enum is the one list)."""
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


def language_of(value: Optional[str]) -> str:
    """``en`` for English, else ``nb`` (the default)."""
    return Language.EN.value if (value or "").lower().startswith("en") else Language.NB.value


CHANNELS = ("sms", "email", "post")
OUTBOX_STATUSES = ("recorded", "queued", "sending", "sent", "failed")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the register: use timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_number: Mapped[str] = Column(String(20), unique=True, nullable=False)
    name: Mapped[Optional[str]] = Column(String(200))
    address: Mapped[Optional[str]] = Column(String(300))
    postal_code: Mapped[Optional[str]] = Column(String(10))
    city: Mapped[Optional[str]] = Column(String(100))
    phone: Mapped[Optional[str]] = Column(String(20), index=True)  # E.164
    email: Mapped[Optional[str]] = Column(String(254), index=True)  # lower-case
    contact_person: Mapped[Optional[str]] = Column(String(200))
    marketing_sms: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    marketing_email: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    marketing_post: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    erased_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    created_at: Mapped[datetime] = Column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = Column(UTCDateTime, default=utcnow, onupdate=utcnow)
    requests = relationship("PrivacyRequest", back_populates="customer")

    @property
    def marketing(self) -> Dict[str, bool]:
        return {channel: bool(getattr(self, f"marketing_{channel}")) for channel in CHANNELS}

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    def __repr__(self) -> str:  # reprs end up in logs and tracebacks: ids only
        return f"<Customer id={self.id}>"


class Suppression(Base):
    """A contact point that must get no marketing on a channel (customer or not)."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_suppression"),)
    id: Mapped[int] = Column(Integer, primary_key=True)
    channel: Mapped[str] = Column(String(10), nullable=False)
    address: Mapped[str] = Column(String(300), nullable=False)
    source_channel: Mapped[Optional[str]] = Column(String(30))
    created_at: Mapped[datetime] = Column(UTCDateTime, default=utcnow)


class ConsentEvent(Base):
    """One entry of the consent ledger (added in 0004): an opt-out or opt-in of marketing on
    one channel, from the person (the channel they used), staff (with a reason) or an import.

    The scope is the contact point (``address``, canonical: what the suppression list holds)
    and/or the customer (``customer_id``: the customer's ``marketing_<channel>`` flag). The
    suppression list and the flags are derived from this ledger (bot.register.consent).
    """

    __tablename__ = "consent_events"
    __table_args__ = (
        Index("ix_consent_events_address", "channel", "address"),
        Index("ix_consent_events_customer", "customer_id", "channel"),
    )
    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    channel: Mapped[str] = Column(String(10), nullable=False)  # sms, email, post
    granted: Mapped[bool] = Column(Boolean, nullable=False)  # False: opt-out, True: opt-in
    address: Mapped[Optional[str]] = Column(String(300))
    customer_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("customers.id", ondelete="SET NULL")
    )
    source: Mapped[str] = Column(String(30), nullable=False)  # person's channel, staff, import
    actor: Mapped[str] = Column(String(100), nullable=False)
    reason: Mapped[Optional[str]] = Column(Text)
    request_reference: Mapped[Optional[str]] = Column(String(20))


class ErasureTombstone(Base):
    """An erased customer number (added in 0004): imports skip it for good.

    The number itself, nothing else: customer numbers are short digit strings, so a hash of
    one would be reversed by trying them all and protect nothing; the number stays on the
    invoices the Bookkeeping Act keeps anyway. Kept even after the customer row is gone.
    """

    __tablename__ = "erasure_tombstones"
    customer_number: Mapped[str] = Column(String(20), primary_key=True)
    erased_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    request_reference: Mapped[Optional[str]] = Column(String(20))


class PrivacyRequest(Base):
    __tablename__ = "privacy_requests"
    __table_args__ = (
        Index("ix_privacy_requests_kind_status", "kind", "status"),
        check_in("kind", REQUEST_KINDS, "ck_privacy_requests_kind"),
        check_in("status", STATUSES, "ck_privacy_requests_status"),
        check_in("language", LANGUAGES, "ck_privacy_requests_language"),
    )
    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(20), unique=True, nullable=False)
    kind: Mapped[str] = Column(String(20), nullable=False)
    status: Mapped[str] = Column(String(20), nullable=False, default="received")
    channel: Mapped[Optional[str]] = Column(String(30))
    verified: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    verification_method: Mapped[Optional[str]] = Column(String(30))
    customer_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    conversation_id: Mapped[Optional[str]] = Column(String(200))
    details: Mapped[dict] = Column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = Column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    extended_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    extension_reason: Mapped[Optional[str]] = Column(Text)
    closed_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    # added in 0005: repeated requests of one kind attach to the open ticket (count); where
    # the customer is told when it is closed; why it was rejected (a category code)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=1, server_default="1")
    reply_channel: Mapped[Optional[str]] = Column(String(20))
    reply_to: Mapped[Optional[str]] = Column(String(300))
    rejection_category: Mapped[Optional[str]] = Column(String(40))
    # added in 0006: the customer's language (nb, en): the notices they get are in it
    language: Mapped[str] = Column(String(2), nullable=False, default="nb", server_default="nb")
    customer = relationship("Customer", back_populates="requests", lazy="joined")

    @validates("kind")
    def _valid_kind(self, _key: str, value: str) -> str:
        return RequestKind(value).value  # ValueError on an unknown kind, before the database

    @validates("status")
    def _valid_status(self, _key: str, value: str) -> str:
        return RequestStatus(value).value

    @validates("language")
    def _valid_language(self, _key: str, value: str) -> str:
        return Language(value).value

    @property
    def customer_number(self) -> Optional[str]:
        return self.customer.customer_number if self.customer is not None else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def received_at(self) -> datetime:
        return self.created_at

    def __repr__(self) -> str:
        return f"<PrivacyRequest {self.reference} {self.kind} {self.status}>"


class CustomerMark(Base):
    """A restriction (Art. 18) or objection (Art. 21) on a customer (added in 0006): the
    processing it covers stops (the exports for marketing, surveys and analyses leave the
    customer out) until staff lift it with a recorded decision."""

    __tablename__ = "customer_marks"
    __table_args__ = (
        check_in("kind", MARK_KINDS, "ck_customer_marks_kind"),
        check_in("covers", PURPOSES, "ck_customer_marks_covers"),
    )
    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = Column(String(20), nullable=False)
    covers: Mapped[str] = Column(String(20), nullable=False)
    request_reference: Mapped[Optional[str]] = Column(String(20))
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = Column(String(100), nullable=False)
    lifted_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    lifted_by: Mapped[Optional[str]] = Column(String(100))
    lift_reason: Mapped[Optional[str]] = Column(Text)

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    def covers_purpose(self, purpose: str) -> bool:
        return self.active and self.covers in (purpose, Purpose.ALL.value)


class ServiceStore(Base):
    """Which store a server uses (added in 0006): the Rasa server records its tracker store
    here when it starts, so that ``klbot`` can refuse to erase conversations from another
    one. The description never holds a password."""

    __tablename__ = "service_stores"
    name: Mapped[str] = Column(String(30), primary_key=True)
    description: Mapped[str] = Column(String(500), nullable=False)
    recorded_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class Challenge(Base):
    """A one-time code: only its hash is kept."""

    __tablename__ = "challenges"
    id: Mapped[str] = Column(String(40), primary_key=True)
    conversation_id: Mapped[str] = Column(String(200), index=True, nullable=False)
    customer_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[Optional[str]] = Column(String(128))
    salt: Mapped[str] = Column(String(64), nullable=False)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = Column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, index=True)
    used_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    # added in 0003: a keyed hash of the contact point asked for (customer's or not), so that
    # code limits hold per contact point across conversations (bot.register.identity)
    contact_hash: Mapped[Optional[str]] = Column(String(64), index=True)


class CodeFailure(Base):
    """A wrong one-time code (added in 0003): lock-out per customer and per contact point."""

    __tablename__ = "code_failures"
    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    contact_hash: Mapped[Optional[str]] = Column(String(64), index=True)
    customer_id: Mapped[Optional[int]] = Column(Integer, index=True)
    cleared_at: Mapped[Optional[datetime]] = Column(UTCDateTime)  # staff unlocked


class OutboxMessage(Base):
    __tablename__ = "outbox"
    id: Mapped[int] = Column(Integer, primary_key=True)
    channel: Mapped[str] = Column(String(10), nullable=False)
    to: Mapped[str] = Column(String(300), nullable=False)
    body: Mapped[Optional[str]] = Column(Text)
    status: Mapped[str] = Column(String(20), nullable=False, default="recorded")
    created_at: Mapped[datetime] = Column(UTCDateTime, default=utcnow, index=True)
    # added in 0002: who delivered, when, and the failure's type (never its text)
    notifier: Mapped[Optional[str]] = Column(String(20))
    sent_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    error: Mapped[Optional[str]] = Column(String(100))
    # added in 0003: the delivery queue. ``secret`` holds a one-time code only until it is
    # delivered (the body keeps it masked); ``purpose`` and ``customer_id`` let the register
    # send the "someone asked on your behalf" notice at most once a day per person.
    purpose: Mapped[Optional[str]] = Column(String(30))
    customer_id: Mapped[Optional[int]] = Column(Integer)
    secret: Mapped[Optional[str]] = Column(String(64))
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[Optional[datetime]] = Column(UTCDateTime)


class AuditEntry(Base):
    """Append-only: who changed what, when and why."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity_id", "entity", "entity_id"),)
    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[datetime] = Column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = Column(String(100), nullable=False)
    action: Mapped[str] = Column(String(50), nullable=False)
    entity: Mapped[str] = Column(String(50), nullable=False)
    entity_id: Mapped[Optional[str]] = Column(String(50))
    reason: Mapped[Optional[str]] = Column(Text)
    changes: Mapped[Optional[dict]] = Column(JSON)


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("provider", "message_id", name="uq_inbound"),)
    id: Mapped[int] = Column(Integer, primary_key=True)
    provider: Mapped[str] = Column(String(30), nullable=False)
    message_id: Mapped[str] = Column(String(100), nullable=False)
    seen_at: Mapped[datetime] = Column(UTCDateTime, default=utcnow, index=True)


class ChannelIdentity(Base):
    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_channel_identity"),)
    id: Mapped[int] = Column(Integer, primary_key=True)
    channel: Mapped[str] = Column(String(30), nullable=False)
    external_id: Mapped[str] = Column(String(100), nullable=False)
    phone: Mapped[str] = Column(String(20), nullable=False)
    verified_at: Mapped[datetime] = Column(UTCDateTime, default=utcnow)
    # added in 0003: the conversation the connector proved this number in
    conversation_id: Mapped[Optional[str]] = Column(String(200), index=True)


class Invoice(Base):
    """Bookkeeping: an invoice as issued (name and address as billed). Kept after an erasure,
    because the Bookkeeping Act (bokføringsloven) requires it. Added in 0002."""

    __tablename__ = "invoices"
    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    invoice_number: Mapped[str] = Column(String(30), unique=True, nullable=False)
    issued_on: Mapped[date] = Column(Date, nullable=False)
    amount: Mapped[Decimal] = Column(Numeric(12, 2), nullable=False)
    billed_name: Mapped[Optional[str]] = Column(String(200))
    billed_address: Mapped[Optional[str]] = Column(String(300))
    created_at: Mapped[datetime] = Column(UTCDateTime, default=utcnow)


class CustomerApplication(Base):
    """An application to become a customer ("kundesøknad"): the policy keeps it 3 months.
    Added in 0002."""

    __tablename__ = "customer_applications"
    id: Mapped[int] = Column(Integer, primary_key=True)
    received_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    name: Mapped[Optional[str]] = Column(String(200))
    phone: Mapped[Optional[str]] = Column(String(20))
    email: Mapped[Optional[str]] = Column(String(254))
    details: Mapped[dict] = Column(JSON, nullable=False, default=dict)
