"""Test data for the groups tests: a valid affiliation, and reading back what was stored."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from campaign.extensions import db
from campaign.groups.models import Group
from campaign.mail.models import OutboxMessage


def affiliation(**overrides: Any) -> dict[str, Any]:
    """The form fields of a valid affiliation, with some replaced."""
    data = {
        "name": "Leeds Labour Left",
        "kind": "local-left-group",
        "region": "yorkshire",
        "town": "Leeds",
        "website": "https://leedslabourleft.example.org/",
        "contact_name": "Rosa Contact",
        "contact_email": "rosa.contact@example.org",
        "contact_phone": "0113 496 0000",
        "members": "120",
        "representatives-0-name": "Ada Rep",
        "representatives-0-email": "ada.rep@example.org",
        "representatives-1-name": "",
        "representatives-1-email": "",
        "representatives-2-name": "",
        "representatives-2-email": "",
        "decided_how": "At our AGM on 12 March, unanimously",
        "statement": "We want a democratic Labour left.\nUnited we stand.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def service_data(**overrides: Any) -> dict[str, Any]:
    """What the form hands `register_group` for a valid affiliation."""
    data = {
        "name": "Leeds Labour Left",
        "kind": "local-left-group",
        "region": "yorkshire",
        "town": "Leeds",
        "website": "https://leedslabourleft.example.org/",
        "contact_name": "Rosa Contact",
        "contact_email": "rosa.contact@example.org",
        "contact_phone": None,
        "members": 120,
        "decided_how": "At our AGM",
        "statement": None,
        "representatives": [{"name": "Ada Rep", "email": "ada.rep@example.org"}],
    }
    data.update(overrides)
    return data


def group_rows(app) -> list[Group]:
    with app.app_context():
        groups = db.session.scalars(sa.select(Group).order_by(Group.id)).all()
        for group in groups:
            _ = group.representatives, group.events  # load before the session closes
        db.session.expunge_all()
        return groups


def outbox_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
