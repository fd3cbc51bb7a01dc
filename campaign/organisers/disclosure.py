"""How much personal data the room shows, to whom, and the record of every look.

Viewing is processing: every supporters list page, search and detail view is put on the
audit log with who looked, the filters and how many people's records were shown. Each
account may be shown at most PERSONAL_RECORDS_PER_HOUR records in any hour (counted from
the audit log itself, so every process agrees); past that the room refuses, and the
admins are e-mailed once for each breach.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import url_for

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.mail.services import queue_email
from campaign.models import utcnow
from campaign.organisers.audit import record_audit
from campaign.organisers.models import ADMIN, AuditRecord, Organiser
from campaign.organisers.supporters import consented

CEILING_WINDOW = dt.timedelta(hours=1)
DEFAULT_CEILING = 2000
LISTED, VIEWED, CEILING_REACHED = "supporters.listed", "supporter.viewed", "supporters.ceiling"


def sees_everyone(organiser: Organiser) -> bool:
    """Whether the account may see supporters who did not consent to contact (admins)."""
    return organiser.has_role(ADMIN)


def may_see(organiser: Organiser, supporter: Supporter) -> bool:
    """Whether this supporter's record is one the account may be shown."""
    if sees_everyone(organiser):
        return True
    return bool(
        supporter.confirmed_at is not None
        and supporter.bulletin_consent
        and supporter.unsubscribed_at is None
    )


def visible_supporters(organiser: Organiser) -> sa.ColumnElement[bool] | None:
    """The condition that limits a supporters query to what the account may see (or None)."""
    return None if sees_everyone(organiser) else consented()


def records_shown_since(actor: str, since: dt.datetime) -> int:
    """How many personal records the room has shown this actor since a moment."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(AuditRecord.rows_shown), 0)).where(
            AuditRecord.actor == actor, AuditRecord.at >= since
        )
    )
    return int(total or 0)


@dataclass(frozen=True)
class CeilingReached:
    """The account has been shown its hourly allowance of personal records."""

    ceiling: int
    shown: int
    retry_after: int  # seconds until the oldest counted view leaves the window

    @property
    def minutes(self) -> int:
        return max(1, -(-self.retry_after // 60))


def _seconds_until_room(actor: str, needed: int, ceiling: int, now: dt.datetime) -> int:
    # Walk the window's views oldest first until enough would have left it.
    since = now - CEILING_WINDOW
    rows = db.session.execute(
        sa.select(AuditRecord.at, AuditRecord.rows_shown)
        .where(AuditRecord.actor == actor, AuditRecord.at >= since, AuditRecord.rows_shown > 0)
        .order_by(AuditRecord.at)
    ).all()
    shown = sum(r.rows_shown for r in rows)
    for at, count in rows:
        shown -= count
        if shown + needed <= ceiling:
            return max(1, int((at + CEILING_WINDOW - now).total_seconds()) + 1)
    return int(CEILING_WINDOW.total_seconds())


def disclose(
    organiser: Organiser,
    action: str,
    rows: int,
    ceiling: int,
    target: str | None = None,
    **details: Any,
) -> CeilingReached | None:
    """Record that `rows` personal records are about to be shown, or refuse past the ceiling.

    On refusal nothing is shown: the refusal is audited instead, and the first refusal of
    a breach e-mails every active admin. The caller commits either way.
    """
    now = utcnow()
    shown = records_shown_since(organiser.email, now - CEILING_WINDOW)
    if rows and shown + rows > ceiling:
        refusal = CeilingReached(
            ceiling, shown, _seconds_until_room(organiser.email, rows, ceiling, now)
        )
        _refuse(organiser, refusal, action, now, **details)
        return refusal
    record = record_audit(action, organiser.email, target=target, rows=rows, **details)
    record.rows_shown = rows
    return None


def _refuse(
    organiser: Organiser, refusal: CeilingReached, action: str, now: dt.datetime, **details: Any
) -> None:
    # One breach, one e-mail: a refusal within an hour of the last one is the same breach,
    # however many more pages the account asks for.
    earlier = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditRecord)
        .where(
            AuditRecord.actor == organiser.email,
            AuditRecord.action == CEILING_REACHED,
            AuditRecord.at >= now - CEILING_WINDOW,
        )
    )
    record_audit(
        CEILING_REACHED,
        organiser.email,
        target=f"organiser:{organiser.id}",
        asked=action,
        shown=refusal.shown,
        ceiling=refusal.ceiling,
        **details,
    )
    if earlier:
        return
    for admin in active_admins():
        queue_email(
            admin.email,
            f"{organiser.email} reached the personal-data ceiling",
            "organisers/email/ceiling",
            organiser=organiser,
            refusal=refusal,
            audit_url=url_for("organisers.audit", actor=organiser.email, _external=True),
            accounts_url=url_for("organisers.accounts", _external=True),
        )


def report_export(organiser: Organiser, rows: int, scope: str, filename: str) -> None:
    """Tell every other active admin by e-mail that an export left the room (caller commits).

    Exports are the one way past the hourly ceiling, so each is announced as it happens,
    not only listed on the dashboard.
    """
    for admin in active_admins():
        if admin.id == organiser.id:
            continue
        queue_email(
            admin.email,
            f"{organiser.email} exported {rows:,} supporters",
            "organisers/email/export",
            organiser=organiser,
            rows=rows,
            scope=scope,
            filename=filename,
            audit_url=url_for("organisers.audit", actor=organiser.email, _external=True),
            accounts_url=url_for("organisers.accounts", _external=True),
        )


def active_admins() -> list[Organiser]:
    """Every admin account that is not disabled."""
    return list(
        db.session.scalars(
            sa.select(Organiser)
            .where(Organiser.role == ADMIN, Organiser.active.is_(True))
            .order_by(Organiser.email)
        )
    )


@dataclass
class ActivityRow:
    """One account's looks at personal data on one day, for the admins' dashboard."""

    actor: str
    lists: int = 0
    details: int = 0
    records_shown: int = 0
    refusals: int = 0
    exports: int = 0
    rows_exported: int = 0


def activity_on(day: dt.date) -> list[ActivityRow]:
    """Views and exports of personal data per account on a day, most records shown first."""
    start = dt.datetime.combine(day, dt.time())
    records = db.session.execute(
        sa.select(
            AuditRecord.actor, AuditRecord.action, AuditRecord.rows_shown, AuditRecord.details
        )
        .where(
            AuditRecord.at >= start,
            AuditRecord.at < start + dt.timedelta(days=1),
            AuditRecord.action.in_((LISTED, VIEWED, CEILING_REACHED, "supporters.exported")),
        )
        .order_by(AuditRecord.id)
    ).all()
    rows: dict[str, ActivityRow] = {}
    for actor, action, shown, details in records:
        row = rows.setdefault(actor, ActivityRow(actor))
        if action == LISTED:
            row.lists += 1
        elif action == VIEWED:
            row.details += 1
        elif action == CEILING_REACHED:
            row.refusals += 1
        else:
            row.exports += 1
            row.rows_exported += int((details or {}).get("rows") or 0)
        row.records_shown += shown or 0
    return sorted(rows.values(), key=lambda r: (-(r.records_shown + r.rows_exported), r.actor))
