"""What the database holds, read back for a test's assertions: rows detached from the
session (so their columns can be read after the app context ends), counts and tallies."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from campaign.appeal.models import Supporter
from campaign.bulletins.models import Bulletin, BulletinDelivery
from campaign.extensions import db
from campaign.groups.models import Group
from campaign.mail.models import OutboxMessage
from campaign.organisers.models import AuditRecord
from campaign.tally import read_tallies


def count(app: Flask, model: Any) -> int:
    """How many rows `model`'s table holds."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def outbox_count(app: Flask) -> int:
    """How many messages the outbox holds, sent or not."""
    return count(app, OutboxMessage)


def supporters(app: Flask) -> list[Supporter]:
    """Every supporter row, detached from the session."""
    with app.app_context():
        rows = db.session.scalars(sa.select(Supporter).order_by(Supporter.id)).all()
        db.session.expunge_all()
        return list(rows)


def snapshot(app: Flask) -> tuple:
    """Everything a bad request must leave alone: supporters, outbox and tallies."""
    with app.app_context():
        people = db.session.execute(sa.select(Supporter.__table__)).all()
        outbox = db.session.execute(sa.select(OutboxMessage.id)).all()
        return (sorted(map(tuple, people)), sorted(outbox), read_tallies())


def tallies(app: Flask) -> dict[str, int]:
    """The public counters' tallies."""
    with app.app_context():
        return read_tallies()


def group_rows(app: Flask) -> list[Group]:
    """Every group, oldest first, with its representatives and events loaded; detached."""
    with app.app_context():
        groups = db.session.scalars(sa.select(Group).order_by(Group.id)).all()
        for group in groups:
            _ = group.representatives, group.events  # load before the session closes
        db.session.expunge_all()
        return list(groups)


def audit_rows(app: Flask, action: str | None = None) -> list[AuditRecord]:
    """The audit records, oldest first, optionally of one action."""
    with app.app_context():
        query = sa.select(AuditRecord).order_by(AuditRecord.id)
        if action:
            query = query.where(AuditRecord.action == action)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def bulletin_row(app: Flask, bulletin_id: int) -> Bulletin:
    """One bulletin, detached."""
    with app.app_context():
        row = db.session.get(Bulletin, bulletin_id)
        db.session.expunge(row)
        return row


def deliveries(app: Flask) -> int:
    """How many bulletin deliveries have been queued."""
    return count(app, BulletinDelivery)
