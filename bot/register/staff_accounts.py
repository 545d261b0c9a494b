"""Staff accounts of the inbox: personal accounts, enrolment links, second factor, sessions.

One place for every rule the staff inbox (``bot.staff_web``) and ``klbot staff`` share:

- Accounts have a role (``admin`` or ``handler``), a password hashed with Argon2id
  (argon2-cffi), a TOTP key (pyotp) and ten single-use recovery codes (kept as SHA-256
  hashes: they are 60 random bits each, so a fast hash is enough). The second factor is
  required for every account, in development too.
- An enrolment link is valid 24 hours and used once; only the SHA-256 of its token is kept.
  ``reset`` clears the password, key and codes, ends the sessions and makes a new link.
- A login is the password, then a code. An unknown e-mail costs the same Argon2 work and gets
  the same answer as a wrong password. Ten failed logins (passwords or codes) lock the
  account until ``unlock`` (audited). Disabled and locked accounts get the same answer too.
- Sessions live here (server side): the cookie carries a random id, the register its
  SHA-256. Idle timeout 30 minutes, absolute 12 hours; logout, disable and reset end them.
  A session starts in stage ``password`` (the code is still owed) and a new id is issued
  when the code is right. ``fresh`` says whether password and code were given within the
  last 5 minutes (extracts and erasure need it).

The audit log names accounts by id, never by e-mail or name.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Tuple

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import JSON, Column, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, relationship

from bot.register import audit
from bot.register.contacts import normalize_email
from bot.register.models import Base, UTCDateTime, utcnow

logger = logging.getLogger(__name__)

ROLES = ("admin", "handler")
MIN_PASSWORD = 12
ENROLMENT_VALID = timedelta(hours=24)
SESSION_IDLE = timedelta(minutes=30)
SESSION_ABSOLUTE = timedelta(hours=12)
PENDING_CODE = timedelta(minutes=5)  # between the password and the code
FRESH = timedelta(minutes=5)
MAX_FAILED = 10
RECOVERY_CODES = 10
TOTP_ISSUER = "KL Miljøvarme personvern"

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's recommended parameters
# unknown e-mail: the same Argon2 work as a real account, against a hash nobody's password has
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(24))


class StaffError(ValueError):
    """A staff account operation that cannot be done (the text is for staff)."""


class StaffAccount(Base):
    __tablename__ = "staff_accounts"
    id: Mapped[int] = Column(Integer, primary_key=True)
    email: Mapped[str] = Column(String(254), unique=True, nullable=False)
    name: Mapped[str] = Column(String(200), nullable=False)
    role: Mapped[str] = Column(String(20), nullable=False, default="handler")
    password_hash: Mapped[Optional[str]] = Column(String(200))
    totp_secret: Mapped[Optional[str]] = Column(String(64))
    totp_last_step: Mapped[Optional[int]] = Column(Integer)  # a code works once
    recovery_codes: Mapped[list] = Column(JSON, nullable=False, default=list)  # SHA-256 hashes
    failed_logins: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    locked_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    disabled_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    enrolled_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    last_login_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    created_at: Mapped[datetime] = Column(UTCDateTime, default=utcnow)

    @property
    def state(self) -> str:
        if self.disabled_at is not None:
            return "deaktivert"
        if self.locked_at is not None:
            return "låst"
        if self.enrolled_at is None:
            return "venter på innmelding"
        return "aktiv"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<StaffAccount id={self.id}>"


class StaffEnrolment(Base):
    __tablename__ = "staff_enrolments"
    token_hash: Mapped[str] = Column(String(64), primary_key=True)
    account_id: Mapped[int] = Column(
        Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    used_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    # the key chosen at the password step, until the first code confirms it
    pending_secret: Mapped[Optional[str]] = Column(String(64))
    account = relationship("StaffAccount", lazy="joined")


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    id_hash: Mapped[str] = Column(String(64), primary_key=True)
    account_id: Mapped[int] = Column(
        Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    stage: Mapped[str] = Column(String(10), nullable=False)  # password (code owed), full
    csrf_token: Mapped[str] = Column(String(64), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    authenticated_at: Mapped[Optional[datetime]] = Column(UTCDateTime)  # password + code
    revoked_at: Mapped[Optional[datetime]] = Column(UTCDateTime)
    account = relationship("StaffAccount", lazy="joined")

    def fresh(self, now: Optional[datetime] = None) -> bool:
        now = now or utcnow()
        return self.authenticated_at is not None and now - self.authenticated_at <= FRESH


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def actor_of(account: StaffAccount) -> str:
    """How the audit log names a staff member: by account id."""
    return f"staff#{account.id}"


# --- accounts ---------------------------------------------------------------------------


def get_account(s: Session, email: str) -> Optional[StaffAccount]:
    email = normalize_email(email or "")
    if not email:
        return None
    return s.execute(select(StaffAccount).where(StaffAccount.email == email)).scalar_one_or_none()


def _require(s: Session, email: str) -> StaffAccount:
    account = get_account(s, email)
    if account is None:
        raise StaffError("ingen ansatt med den e-postadressen")
    return account


def list_accounts(s: Session) -> List[StaffAccount]:
    return list(s.execute(select(StaffAccount).order_by(StaffAccount.id)).scalars())


def _new_enrolment(s: Session, account: StaffAccount, now: datetime) -> str:
    for old in s.execute(
        select(StaffEnrolment).where(
            StaffEnrolment.account_id == account.id, StaffEnrolment.used_at.is_(None)
        )
    ).scalars():
        old.used_at = now  # one live link per account
    token = secrets.token_urlsafe(32)
    s.add(
        StaffEnrolment(
            token_hash=_sha(token),
            account_id=account.id,
            created_at=now,
            expires_at=now + ENROLMENT_VALID,
        )
    )
    return token


def add_account(
    s: Session, email: str, *, name: str, role: str, actor: str
) -> Tuple[StaffAccount, str]:
    """A new account and its enrolment token (the link's last part, shown once)."""
    address = normalize_email(email or "")
    if not address:
        raise StaffError("ugyldig e-postadresse")
    if role not in ROLES:
        raise StaffError(f"ukjent rolle {role!r}; en av {', '.join(ROLES)}")
    name = (name or "").strip()
    if not name:
        raise StaffError("navnet mangler")
    if get_account(s, address) is not None:
        raise StaffError("det finnes allerede en ansatt med den e-postadressen")
    now = utcnow()
    account = StaffAccount(email=address, name=name[:200], role=role, recovery_codes=[])
    s.add(account)
    s.flush()
    token = _new_enrolment(s, account, now)
    audit.record(
        s,
        actor=actor,
        action="staff_add",
        entity="staff",
        entity_id=account.id,
        changes={"role": role},
    )
    return account, token


def _end_sessions(s: Session, account: StaffAccount, now: datetime) -> int:
    count = 0
    for row in s.execute(
        select(StaffSession).where(
            StaffSession.account_id == account.id, StaffSession.revoked_at.is_(None)
        )
    ).scalars():
        row.revoked_at = now
        count += 1
    return count


def disable_account(s: Session, email: str, *, actor: str) -> StaffAccount:
    account = _require(s, email)
    now = utcnow()
    account.disabled_at = account.disabled_at or now
    ended = _end_sessions(s, account, now)
    for old in s.execute(
        select(StaffEnrolment).where(
            StaffEnrolment.account_id == account.id, StaffEnrolment.used_at.is_(None)
        )
    ).scalars():
        old.used_at = now
    audit.record(
        s,
        actor=actor,
        action="staff_disable",
        entity="staff",
        entity_id=account.id,
        changes={"sessions_ended": ended},
    )
    return account


def reset_account(s: Session, email: str, *, actor: str) -> Tuple[StaffAccount, str]:
    """New credentials from scratch: password, key and codes cleared, sessions ended, the
    lock and the disabling lifted, and a new enrolment token."""
    account = _require(s, email)
    now = utcnow()
    account.password_hash = None
    account.totp_secret = None
    account.totp_last_step = None
    account.recovery_codes = []
    account.enrolled_at = None
    account.failed_logins = 0
    account.locked_at = None
    account.disabled_at = None
    ended = _end_sessions(s, account, now)
    token = _new_enrolment(s, account, now)
    audit.record(
        s,
        actor=actor,
        action="staff_reset",
        entity="staff",
        entity_id=account.id,
        changes={"sessions_ended": ended},
    )
    return account, token


def unlock_account(s: Session, email: str, *, actor: str) -> StaffAccount:
    account = _require(s, email)
    account.locked_at = None
    account.failed_logins = 0
    audit.record(s, actor=actor, action="staff_unlock", entity="staff", entity_id=account.id)
    return account


# --- enrolment --------------------------------------------------------------------------


def enrolment(s: Session, token: str, now: Optional[datetime] = None) -> Optional[StaffEnrolment]:
    """The live enrolment of ``token``, or None (unknown, used, expired, disabled)."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return None
    row = s.get(StaffEnrolment, _sha(token))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    if row.account.disabled_at is not None:
        return None
    return row


def password_problem(password: str, confirm: str) -> Optional[str]:
    """Why a new password is refused (Norwegian), or None."""
    if password != confirm:
        return "Passordene er ikke like."
    if len(password) < MIN_PASSWORD:
        return f"Passordet må ha minst {MIN_PASSWORD} tegn."
    if len(password) > 200:
        return "Passordet kan ha høyst 200 tegn."
    return None


def enrol_password(s: Session, token: str, password: str, confirm: str) -> Tuple[str, str]:
    """Step 1: set the password and choose a TOTP key. Returns (key, otpauth URI)."""
    row = enrolment(s, token)
    if row is None:
        raise StaffError("Lenken er ugyldig eller utløpt. Be en administrator om en ny.")
    problem = password_problem(password, confirm)
    if problem:
        raise StaffError(problem)
    row.account.password_hash = _hasher.hash(password)
    row.pending_secret = pyotp.random_base32()
    uri = pyotp.TOTP(row.pending_secret).provisioning_uri(
        name=row.account.email, issuer_name=TOTP_ISSUER
    )
    return row.pending_secret, uri


def pending_key(s: Session, token: str) -> Optional[Tuple[str, str]]:
    row = enrolment(s, token)
    if row is None or not row.pending_secret or not row.account.password_hash:
        return None
    uri = pyotp.TOTP(row.pending_secret).provisioning_uri(
        name=row.account.email, issuer_name=TOTP_ISSUER
    )
    return row.pending_secret, uri


def _totp_step(secret: str, code: str, now: datetime) -> Optional[int]:
    """The time step ``code`` belongs to (this one or one either side), or None."""
    totp = pyotp.TOTP(secret)
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.at(candidate * totp.interval), code):
            return candidate
    return None


def _recovery_codes() -> Tuple[List[str], List[str]]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes, [_sha(_plain_code(c)) for c in codes]


def _plain_code(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def enrol_confirm(s: Session, token: str, code: str) -> List[str]:
    """Step 2: the first code proves the authenticator works; the link is used up and the
    ten recovery codes are returned (shown once)."""
    row = enrolment(s, token)
    if row is None or not row.pending_secret or not row.account.password_hash:
        raise StaffError("Lenken er ugyldig eller utløpt. Be en administrator om en ny.")
    now = utcnow()
    step = _totp_step(row.pending_secret, code, now)
    if step is None:
        raise StaffError("Koden stemmer ikke. Sjekk klokken på telefonen og prøv igjen.")
    account = row.account
    account.totp_secret = row.pending_secret
    account.totp_last_step = step
    codes, hashes = _recovery_codes()
    account.recovery_codes = hashes
    account.enrolled_at = now
    account.failed_logins = 0
    account.locked_at = None
    row.pending_secret = None
    row.used_at = now
    audit.record(
        s, actor=actor_of(account), action="staff_enrol", entity="staff", entity_id=account.id
    )
    return codes


# --- login and sessions -------------------------------------------------------------------


@dataclass
class NewSession:
    token: str  # for the cookie; the register keeps its hash
    session: StaffSession


def _open_session(s: Session, account: StaffAccount, stage: str, now: datetime) -> NewSession:
    token = secrets.token_urlsafe(32)
    expires = now + (PENDING_CODE if stage == "password" else SESSION_ABSOLUTE)
    row = StaffSession(
        id_hash=_sha(token),
        account_id=account.id,
        stage=stage,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=expires,
        authenticated_at=now if stage == "full" else None,
    )
    s.add(row)
    s.flush()
    return NewSession(token=token, session=row)


def _failed(s: Session, account: StaffAccount, what: str, now: datetime) -> None:
    account.failed_logins = (account.failed_logins or 0) + 1
    if account.failed_logins >= MAX_FAILED and account.locked_at is None:
        account.locked_at = now
        _end_sessions(s, account, now)
        audit.record(
            s,
            actor="klbot inbox",
            action="staff_locked",
            entity="staff",
            entity_id=account.id,
            changes={"failed_logins": account.failed_logins},
        )
        logger.warning("Staff account %s locked after %d failed logins", account.id, MAX_FAILED)
    else:
        logger.info("Failed staff login (%s) for account %s", what, account.id)


def usable(account: Optional[StaffAccount]) -> bool:
    return bool(
        account is not None
        and account.enrolled_at is not None
        and account.password_hash
        and account.totp_secret
        and account.disabled_at is None
        and account.locked_at is None
    )


def check_password(s: Session, email: str, password: str) -> Optional[NewSession]:
    """Step 1 of a login: a session that still owes the code, or None. The same Argon2 work
    is done whether or not the account exists, is usable, or the password is right."""
    now = utcnow()
    account = get_account(s, email)
    stored = account.password_hash if account is not None and account.password_hash else None
    try:
        ok = _hasher.verify(stored or _DUMMY_HASH, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    ok = ok and stored is not None
    if account is None:
        return None
    if not usable(account):
        if ok or account.locked_at is None:
            logger.info("Staff login refused for account %s (%s)", account.id, account.state)
        return None
    if not ok:
        _failed(s, account, "password", now)
        return None
    if _hasher.check_needs_rehash(stored):
        account.password_hash = _hasher.hash(password)
    return _open_session(s, account, "password", now)


def _use_recovery_code(account: StaffAccount, code: str) -> bool:
    plain = _plain_code(code)
    if len(plain) != 12:
        return False
    digest = _sha(plain)
    codes = list(account.recovery_codes or [])
    for stored in codes:
        if hmac.compare_digest(stored, digest):
            codes.remove(stored)
            account.recovery_codes = codes
            return True
    return False


def check_code(s: Session, pending: StaffSession, code: str) -> Optional[NewSession]:
    """Step 2: the 6-digit code (or a recovery code) for a session in stage ``password``.
    Right: the pending session ends and a full one, with a new id, begins. ``pending`` may
    also be a full session (re-authentication): then its ``authenticated_at`` is renewed."""
    now = utcnow()
    account = pending.account
    if not usable(account) or pending.revoked_at is not None:
        return None
    step = _totp_step(account.totp_secret, code, now)
    ok = step is not None and step > (account.totp_last_step or -1)
    how = "totp"
    if ok:
        account.totp_last_step = step
    elif step is None and _use_recovery_code(account, code):
        ok, how = True, "recovery_code"
    if not ok:
        _failed(s, account, "code", now)
        return None
    account.failed_logins = 0
    account.last_login_at = now
    pending.revoked_at = now
    fresh = _open_session(s, account, "full", now)
    audit.record(s, actor=actor_of(account), action="staff_login", entity="staff",
                 entity_id=account.id, changes={"second_factor": how})  # fmt: skip
    if how == "recovery_code":
        audit.record(
            s,
            actor=actor_of(account),
            action="staff_recovery_code",
            entity="staff",
            entity_id=account.id,
            changes={"left": len(account.recovery_codes or [])},
        )
    return fresh


def reauthenticate(s: Session, session: StaffSession, password: str, code: str) -> bool:
    """Password and code again in a full session: it becomes fresh (5 minutes)."""
    now = utcnow()
    account = session.account
    if not usable(account) or session.stage != "full":
        return False
    try:
        ok = _hasher.verify(account.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    step = _totp_step(account.totp_secret, code, now) if ok else None
    if ok and step is not None and step > (account.totp_last_step or -1):
        account.totp_last_step = step
        account.failed_logins = 0
        session.authenticated_at = now
        return True
    _failed(s, account, "re-authentication", now)
    return False


def session_for(
    s: Session,
    token: Optional[str],
    *,
    stage: str = "full",
    now: Optional[datetime] = None,
    touch: bool = True,
) -> Optional[StaffSession]:
    """The live session of the cookie ``token`` in ``stage``; touches its idle clock unless
    ``touch`` is False (a page's background poll is not a person at work)."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    row = s.get(StaffSession, _sha(token))
    if row is None or row.stage != stage or row.revoked_at is not None:
        return None
    if row.expires_at <= now or (stage == "full" and now - row.last_seen_at > SESSION_IDLE):
        row.revoked_at = row.revoked_at or now
        return None
    if not usable(row.account) and stage == "full":
        row.revoked_at = now
        return None
    if touch:
        row.last_seen_at = now
    return row


def end_session(s: Session, token: Optional[str]) -> None:
    if not token or len(token) > 100:
        return
    row = s.get(StaffSession, _sha(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def purge_sessions(s: Session, now: Optional[datetime] = None, dry_run: bool = False) -> int:
    """Delete sessions that ended or expired more than a day ago (retention); the count."""
    from sqlalchemy import delete, func, or_

    now = now or utcnow()
    cutoff = now - timedelta(days=1)
    old = or_(StaffSession.expires_at < cutoff, StaffSession.revoked_at < cutoff)
    count = s.execute(select(func.count()).select_from(StaffSession).where(old)).scalar_one()
    if not dry_run:
        s.execute(delete(StaffSession).where(old))
    return int(count)
