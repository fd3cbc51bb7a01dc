"""STAND-INS for the services of the groups feature that are not on main yet.

`campaign.organisers.features` imports the real services when they exist and these only
otherwise. They do the minimum the organisers' room needs, with the same signatures; delete
this module once the groups feature is merged.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from campaign.counters.tally import count_group
from campaign.extensions import db
from campaign.groups.models import APPROVED, CONFIRMED, REJECTED, SUBMITTED, Group, GroupEvent
from campaign.models import utcnow


class InvalidTransition(Exception):
    """The group's status does not allow this change."""

    def __init__(self, group: Group, action: str, status: str | None = None):
        self.group, self.action, self.status = group, action, status or group.status
        super().__init__(f"Cannot {action} “{group.name}”: it is {self.status}.")


def _move(group: Group, allowed: tuple[str, ...], action: str, **values: object) -> str:
    before = group.status
    if before not in allowed:
        raise InvalidTransition(group, action)
    for key, value in values.items():
        setattr(group, key, value)
    db.session.add(GroupEvent(group=group, status=group.status, by=values.get("decided_by")))
    return before


def approve_group(group: Group, by: str) -> None:
    """Approve a confirmed group."""
    now = utcnow()
    _move(
        group,
        (CONFIRMED,),
        "approve",
        status=APPROVED,
        approved_at=now,
        decided_at=now,
        decided_by=by,
    )
    count_group(group, +1)


def reject_group(group: Group, reason: str, by: str) -> None:
    """Reject a group with a reason."""
    if not (reason or "").strip():
        raise ValueError("A reason is required to reject a group.")
    before = _move(
        group,
        (SUBMITTED, CONFIRMED, APPROVED),
        "reject",
        status=REJECTED,
        decided_at=utcnow(),
        decided_by=by,
        rejection_reason=reason.strip(),
    )
    if before == APPROVED:
        count_group(group, -1)


def record_fee_paid(group: Group, paid_on: dt.date | None, by: str) -> None:
    """Record when a national union paid its fee."""
    if group.fee_pence is None:
        raise InvalidTransition(group, "record a fee for", "not a national trade union")
    if paid_on is not None and paid_on > utcnow().date():
        raise ValueError("The payment date cannot be in the future.")
    group.fee_paid_at = dt.datetime.combine(paid_on, dt.time()) if paid_on else None


def groups_awaiting_review() -> sa.Select:
    """Confirmed groups waiting for a decision, oldest first."""
    return (
        sa.select(Group)
        .where(Group.status == CONFIRMED)
        .options(selectinload(Group.representatives))
        .order_by(Group.confirmed_at, Group.id)
    )
