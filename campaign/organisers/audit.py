"""The audit log: `record_audit` adds an entry in the caller's transaction; entries never change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy import event

from campaign.extensions import db
from campaign.organisers.models import AuditRecord
from campaign.security import client_ip_hash

# Every action the room records, with the words the audit page shows for it.
ACTIONS: dict[str, str] = {
    "login": "Logged in",
    "login.failed": "Failed login",
    "logout": "Logged out",
    "password.changed": "Changed own password",
    "2fa.enabled": "Turned two-factor log-in on",
    "2fa.disabled": "Turned two-factor log-in off",
    "2fa.recovery_codes": "Made new recovery codes",
    "organiser.created": "Organiser created",
    "organiser.invited": "Organiser invited",
    "organiser.invite_accepted": "Invitation accepted",
    "organiser.invite_withdrawn": "Invitation withdrawn",
    "organiser.role_changed": "Organiser's role changed",
    "organiser.disabled": "Organiser disabled",
    "organiser.enabled": "Organiser enabled",
    "organiser.signed_out": "Organiser signed out everywhere",
    "2fa.reset": "Organiser's two-factor reset",
    "organiser.password_set": "Organiser's password set",
    "group.approved": "Group approved",
    "group.rejected": "Group rejected",
    "group.fee_paid": "Group fee recorded",
    "group.edited": "Group edited",
    "group.revoked": "Group revoked",
    "group.restored": "Group restored",
    "group.added": "Group added by an organiser",
    "groups.imported": "Groups imported",
    "paper.recorded": "Paper batch recorded",
    "paper.corrected": "Paper batch corrected",
    "paper.withdrawn": "Paper batch withdrawn",
    "supporter.erased": "Supporter erased",
    "signups.released": "Held sign-ups released (abuse desk)",
    "signups.invalidated": "Sign-ups invalidated (abuse desk)",
    "supporters.listed": "Supporters listed or searched",
    "supporter.viewed": "Supporter's record viewed",
    "supporters.ceiling": "Refused: personal-data ceiling reached",
    "supporters.exported": "Supporters exported",
    "supporters.imported": "Supporters imported",
    "bulletin.sent": "Bulletin sent",
    "bulletin.scheduled": "Bulletin scheduled",
    "bulletin.cancelled": "Bulletin schedule cancelled",
    "news.published": "News post published",
    "news.unpublished": "News post unpublished",
    "event.created": "Event created",
    "event.updated": "Event changed",
    "event.cancelled": "Event cancelled",
    "event.published": "Proposed event published",
    "event.declined": "Proposed event declined",
    "event.report_published": "Event report published",
    "rsvps.viewed": "RSVPs looked at",
    "rsvps.exported": "RSVPs exported",
    "rsvp.checked_in": "Attendance marked",
}


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit record."""


def record_audit(action: str, actor: str, target: str | None = None, **details: Any) -> AuditRecord:
    """Add an audit record to the session (the caller commits it with the change it records)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    record = AuditRecord(
        action=action,
        actor=actor[:254],
        target=target[:300] if target else None,
        details=_jsonable(details),
        ip_hash=client_ip_hash() if has_request_context() else None,
    )
    db.session.add(record)
    return record


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def audit_records(
    action: str | None = None,
    actor: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> sa.Select:
    """Audit records newest first, optionally of one action, by one actor, within dates."""
    query = sa.select(AuditRecord)
    if action:
        query = query.where(AuditRecord.action == action)
    if actor:
        query = query.where(AuditRecord.actor == actor)
    if since:
        query = query.where(AuditRecord.at >= dt.datetime.combine(since, dt.time()))
    if until:
        query = query.where(
            AuditRecord.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time())
        )
    return query.order_by(AuditRecord.id.desc())


def audit_page(
    action: str | None = None,
    actor: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    before: int | None = None,
    size: int = 100,
) -> tuple[list[AuditRecord], int | None]:
    """One page of audit records older than id `before`, and the `before` of the next page."""
    query = audit_records(action, actor, since, until)
    if before is not None:
        query = query.where(AuditRecord.id < before)
    records = list(db.session.scalars(query.limit(size + 1)))
    next_before = records[size - 1].id if len(records) > size else None
    return records[:size], next_before


# The application never changes or deletes a record; the database refuses it as well
# (triggers in migration 0005), for anything that bypasses the ORM.
@event.listens_for(AuditRecord, "before_update")
@event.listens_for(AuditRecord, "before_delete")
def _refuse_change(mapper: Any, connection: Any, target: AuditRecord) -> None:
    raise AuditLogIsAppendOnly("the audit log is append-only")
