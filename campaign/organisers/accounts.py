"""Organiser accounts: argon2 passwords, the log-in check, and the changes admins make."""

from __future__ import annotations

import contextlib
import datetime as dt

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from campaign.extensions import db
from campaign.models import utcnow
from campaign.organisers.models import ADMIN, ROLES, AuditRecord, Organiser
from campaign.organisers.sessions import end_every_session

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200

# OWASP's argon2id parameters (19 MiB, 2 passes, 1 lane): strong, and light enough that a
# log-in does not add argon2's default 64 MiB to the peak memory of a web worker.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    # Verified against when the e-mail is unknown, so a wrong address takes as long as a
    # wrong password and the timing does not tell which accounts exist. Made on first use.
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("not a real password, only for constant-time answers")
    return _DUMMY_HASH


class AccountError(ValueError):
    """An account change was refused; the message says why."""


class LastAdmin(AccountError):
    """The change would leave no active admin."""


def hash_password(password: str) -> str:
    """The argon2 hash of a password that meets the length rules."""
    check_password_rules(password)
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    """Raise AccountError unless the password is long enough (and not absurdly long)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at most {MAX_PASSWORD_LENGTH} characters.")


def password_matches(organiser: Organiser, password: str) -> bool:
    """Whether the password is the organiser's (re-hashing it if the parameters changed)."""
    try:
        _hasher.verify(organiser.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(organiser.password_hash):
        organiser.password_hash = _hasher.hash(password)
    return True


def all_organisers() -> list[Organiser]:
    """Every organiser account, by e-mail address."""
    return list(db.session.scalars(sa.select(Organiser).order_by(Organiser.email)))


def find_organiser(email: str) -> Organiser | None:
    """The account with this e-mail address (compared case-insensitively)."""
    return db.session.scalar(
        sa.select(Organiser).where(Organiser.email == (email or "").strip().lower())
    )


def create_organiser(email: str, name: str, role: str, password: str) -> Organiser:
    """Add a new active account (the caller commits)."""
    email = (email or "").strip().lower()
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
    if not email or "@" not in email or len(email) > 254:
        raise AccountError("Give the organiser's e-mail address.")
    if find_organiser(email) is not None:
        raise AccountError(f"There is already an account for {email}.")
    organiser = Organiser(
        email=email,
        name=(name or email.split("@")[0])[:100],
        role=role,
        password_hash=hash_password(password),
        active=True,
    )
    db.session.add(organiser)
    db.session.flush()
    return organiser


def set_password(organiser: Organiser, password: str) -> None:
    """Give the account a new password and end every session it has (the caller commits)."""
    organiser.password_hash = hash_password(password)
    end_every_session(organiser)


def _other_active_admins(organiser: Organiser) -> int:
    # The rows are locked (on PostgreSQL) so two admins demoting each other at the same
    # moment cannot both see "one other admin" and leave none.
    ids = db.session.scalars(
        sa.select(Organiser.id)
        .where(Organiser.role == ADMIN, Organiser.active.is_(True), Organiser.id != organiser.id)
        .with_for_update()
    ).all()
    return len(ids)


def _keep_an_admin(organiser: Organiser, what: str) -> None:
    if organiser.role == ADMIN and organiser.active and _other_active_admins(organiser) == 0:
        raise LastAdmin(
            f"{organiser.email} is the only active admin: {what} would leave nobody able to "
            "manage accounts. Make another admin first."
        )


def disable_organiser(organiser: Organiser) -> None:
    """Disable the account: it can no longer log in, and its sessions end."""
    _keep_an_admin(organiser, "disabling it")
    organiser.active = False
    end_every_session(organiser)


def enable_organiser(organiser: Organiser) -> None:
    """Let a disabled account log in again (with its old password and second factor)."""
    organiser.active = True


def change_role(organiser: Organiser, role: str) -> str:
    """Give the account another role; returns the old one (the caller commits)."""
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
    if role != ADMIN:
        _keep_an_admin(organiser, "taking its admin role")
    old, organiser.role = organiser.role, role
    return old


def attempt_login(email: str, password: str) -> Organiser | None:
    """The active account with this e-mail and password, or None (in the same time either way).

    Wrong passwords are counted by the throttle (throttle.py), never on the account: a
    count on the account would let anyone lock its owner out.
    """
    account = find_organiser(email)
    if account is None or not account.active:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password or "")
        return None
    if not password_matches(account, password or ""):
        return None
    return account


def record_login(organiser: Organiser) -> None:
    """Note a completed log-in on the account (the caller commits)."""
    organiser.last_login_at = utcnow()


def failed_logins_since(since: dt.datetime) -> dict[str, int]:
    """Failed log-ins (wrong password or code, or throttled) per e-mail asked for, since then."""
    rows = db.session.execute(
        sa.select(AuditRecord.target, sa.func.count())
        .where(AuditRecord.action == "login.failed", AuditRecord.at >= since)
        .group_by(AuditRecord.target)
    ).all()
    return {target: count for target, count in rows if target}
