"""Organiser accounts and the append-only audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model
from campaign.models import utcnow

# Roles in rising rank: each may do what the ranks below it may.
#   viewer: numbers and queue counts, no personal data
#   moderator: reviews groups and flagged sign-ups, sees only what review needs
#   organiser: searches and exports consented contacts
#   admin: accounts, audit log, full export, erasure
VIEWER, MODERATOR, ORGANISER, ADMIN = "viewer", "moderator", "organiser", "admin"
ROLES = (VIEWER, MODERATOR, ORGANISER, ADMIN)
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


def role_at_least(role: str, needed: str) -> bool:
    """True when `role` ranks at or above `needed` (an unknown role ranks below all)."""
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[needed]


class Organiser(UserMixin, Model):
    """Someone who may log in to the organisers' room, with one of the ROLES."""

    __tablename__ = "organisers"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('viewer', 'moderator', 'organiser', 'admin')", name="role_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # lower-cased
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.String(10))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    # Raised by one to end every session of the account at once (see sessions.py).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The TOTP second factor (base32 secret) once enrolled, and the last time step a code
    # was accepted for, so a code cannot be used twice inside its window.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account cannot log in or stay in
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None

    def has_role(self, needed: str) -> bool:
        """True when this account's role ranks at or above `needed`."""
        return role_at_least(self.role, needed)

    def get_id(self) -> str:
        # The session names the account *and* its session generation: a session made
        # before the generation last moved no longer matches, wherever it was copied to.
        return f"{self.id}:{self.session_generation}"


class OrganiserInvite(Model):
    """An admin's invitation to join the room: a one-time link, kept only as a hash."""

    __tablename__ = "organiser_invites"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('viewer', 'moderator', 'organiser', 'admin')", name="role_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)  # lower-cased
    role: Mapped[str] = mapped_column(sa.String(10))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class RecoveryCode(Model):
    """A one-time code that stands in for the second factor; only its hash is kept."""

    __tablename__ = "organiser_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisers.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[dt.datetime | None]


class LoginThrottle(Model):
    """Failed log-ins counted under one keyed hash: of a client, or of an (account, client).

    The key is an HMAC, so the table holds no address, e-mail or IP in the clear.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures_not_negative"),)

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(index=True)
    blocked_until: Mapped[dt.datetime | None]


class AuditRecord(Model):
    """One entry of the audit log: who did what to what, when, from where. Never changed."""

    __tablename__ = "audit_log"
    # The personal-data ceiling sums one account's records shown over the last hour.
    __table_args__ = (sa.Index("ix_audit_log_actor_at", "actor", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(254), index=True)  # e-mail, "cli" or "anonymous"
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    target: Mapped[str | None] = mapped_column(sa.String(300))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # How many people's personal records this look showed (list page, search, detail).
    rows_shown: Mapped[int | None]
