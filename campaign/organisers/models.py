"""Organiser accounts and the append-only audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import db
from campaign.models import utcnow

ADMIN, ORGANISER = "admin", "organiser"
ROLES = (ADMIN, ORGANISER)


class Organiser(UserMixin, db.Model):
    """Someone who may log in to the organisers' room, as an admin or an organiser."""

    __tablename__ = "organisers"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'organiser')", name="role_known"),
        sa.CheckConstraint("failed_logins >= 0", name="failed_logins_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # lower-cased
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.String(10))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account cannot log in or stay in
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def get_id(self) -> str:
        # The session names the account *and* its password, so changing the password or
        # disabling the account ends every other session at once.
        fingerprint = hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]
        return f"{self.id}:{fingerprint}"


class AuditRecord(db.Model):
    """One entry of the audit log: who did what to what, when, from where. Never changed."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(254), index=True)  # e-mail, "cli" or "anonymous"
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    target: Mapped[str | None] = mapped_column(sa.String(300))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
