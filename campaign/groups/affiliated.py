"""The life of an affiliated group after approval: details, representatives, fees,
revocation and restoration, groups added by the organisers, and fee reminders.

Like services.py, nothing here commits: the caller commits the change with its history
event, its e-mails, its tallies and its audit record in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from campaign.email_address import normalise_email
from campaign.extensions import db
from campaign.groups.models import (
    APPROVED,
    CONFIRMED,
    GROUP_KINDS,
    GROUP_REGIONS,
    MAX_FEE_PENCE,
    MAX_REPRESENTATIVES,
    REVOKED,
    SUBMITTED,
    FeeReminder,
    Group,
    GroupFeePayment,
    GroupRepresentative,
)
from campaign.groups.services import (
    InvalidTransition,
    _email_contact,
    _record,
    _transition,
    add_year,
    is_national_union,
    normalise_group_name,
    union_fee_pounds,
)
from campaign.models import utcnow
from campaign.scheduler import scheduled_job
from campaign.tally import adjust_tallies, count_group, group_keys

REMIND_DAYS = 30  # a union hears this many days before its fee falls due
# Groups that block another of the same name and kind: anything not refused or gone.
LIVE_STATUSES = (SUBMITTED, CONFIRMED, APPROVED, REVOKED)
DETAIL_FIELDS: dict[str, str] = {
    "name": "name",
    "kind": "kind",
    "region": "region",
    "town": "town",
    "website": "website",
    "contact_name": "contact name",
    "contact_email": "contact e-mail",
    "contact_phone": "contact phone",
    "members": "members",
    "decided_how": "how the affiliation was decided",
    "statement": "statement",
}


class DuplicateGroup(ValueError):
    """A live group already has this name and kind."""

    def __init__(self, other: Group):
        self.other = other
        super().__init__(
            f"“{other.name}” (group #{other.id}, {other.status}) already has this name and kind."
        )


def today() -> dt.date:
    """Today in UTC, the calendar the site keeps."""
    return utcnow().date()


# --- listing ----------------------------------------------------------------------------

FEE_FILTERS = {
    "due": "Due in the next 30 days or overdue",
    "paid": "Paid up",
    "none": "Pays no fee",
}


def affiliated_groups(
    status: str = APPROVED,
    kind: str | None = None,
    region: str | None = None,
    search: str | None = None,
    fee: str | None = None,
    on: dt.date | None = None,
) -> sa.Select:
    """Approved (or revoked) groups in name order, filtered; search matches a name or contact."""
    query = (
        sa.select(Group)
        .where(Group.status == status)
        .options(selectinload(Group.representatives))
        .order_by(Group.name_normalised, Group.id)
    )
    if kind:
        query = query.where(Group.kind == kind)
    if region:
        query = query.where(Group.region == region)
    text = (search or "").strip()
    if "@" in text:
        query = query.where(Group.contact_email_canonical.contains(text.lower(), autoescape=True))
    elif normalise_group_name(text):
        query = query.where(
            Group.name_normalised.contains(normalise_group_name(text), autoescape=True)
        )
    horizon = (on or today()) + dt.timedelta(days=REMIND_DAYS)
    if fee == "due":
        query = query.where(Group.fee_pence.is_not(None), Group.fee_due_on <= horizon)
    elif fee == "paid":
        query = query.where(Group.fee_pence.is_not(None), Group.fee_due_on > horizon)
    elif fee == "none":
        query = query.where(Group.fee_pence.is_(None))
    return query


def fees_due(on: dt.date | None = None, days: int = REMIND_DAYS) -> list[Group]:
    """Approved unions whose fee falls due within `days` (or is overdue), soonest first."""
    horizon = (on or today()) + dt.timedelta(days=days)
    query = (
        sa.select(Group)
        .where(
            Group.status == APPROVED,
            Group.fee_pence.is_not(None),
            Group.fee_due_on <= horizon,
        )
        .order_by(Group.fee_due_on, Group.id)
    )
    return list(db.session.scalars(query))


def fee_state(group: Group, on: dt.date | None = None) -> str:
    """ "none", "overdue", "due" (within 30 days) or "paid", for badges and filters."""
    if group.fee_pence is None or group.fee_due_on is None:
        return "none"
    day = on or today()
    if group.fee_due_on <= day:
        return "overdue"
    if group.fee_due_on <= day + dt.timedelta(days=REMIND_DAYS):
        return "due"
    return "paid"


# --- adding groups ----------------------------------------------------------------------


def find_same_name_and_kind(name: str, kind: str, exclude_id: int | None = None) -> Group | None:
    """A live group of this kind whose name normalises the same, if any."""
    query = sa.select(Group).where(
        Group.name_normalised == normalise_group_name(name),
        Group.kind == kind,
        Group.status.in_(LIVE_STATUSES),
    )
    if exclude_id is not None:
        query = query.where(Group.id != exclude_id)
    return db.session.scalars(query.order_by(Group.id).limit(1)).first()


def _check_choices(data: Mapping[str, Any]) -> None:
    if data["kind"] not in GROUP_KINDS:
        raise ValueError(f"unknown kind of group: {data['kind']!r}")
    if data["region"] not in GROUP_REGIONS:
        raise ValueError(f"unknown region: {data['region']!r}")


def _representatives(data: Mapping[str, Any]) -> list[GroupRepresentative]:
    named = [r for r in data.get("representatives") or [] if r.get("name")]
    if len(named) > MAX_REPRESENTATIVES:
        raise ValueError(f"A group names at most {MAX_REPRESENTATIVES} representatives.")
    return [
        GroupRepresentative(position=n, name=r["name"], email=normalise_email(r["email"])[0])
        for n, r in enumerate(named, start=1)
    ]


def add_affiliated_group(
    data: Mapping[str, Any], by: str, tell_contact: bool = False, note: str | None = None
) -> Group:
    """Add an already-affiliated group straight to the directory (and the counters).

    No e-mail goes out unless `tell_contact`: these groups affiliated before the site, and
    their contacts already know. Raises DuplicateGroup for a live group of the same name
    and kind.
    """
    _check_choices(data)
    other = find_same_name_and_kind(data["name"], data["kind"])
    if other is not None:
        raise DuplicateGroup(other)
    contact_email, contact_canonical = normalise_email(data["contact_email"])
    now = utcnow()
    national_union = is_national_union(data["kind"], data["region"])
    group = Group(
        name=data["name"],
        name_normalised=normalise_group_name(data["name"]),
        kind=data["kind"],
        region=data["region"],
        town=data.get("town"),
        website=data.get("website"),
        contact_name=data["contact_name"],
        contact_email=contact_email,
        contact_email_canonical=contact_canonical,
        contact_phone=data.get("contact_phone"),
        members=data.get("members"),
        decided_how=data.get("decided_how") or "Affiliated before the site existed",
        statement=data.get("statement"),
        status=APPROVED,
        fee_pence=union_fee_pounds() * 100 if national_union else None,
        fee_due_on=now.date() if national_union else None,
        created_at=now,
        confirmed_at=now,
        approved_at=now,
        decided_at=now,
        decided_by=by,
    )
    group.representatives = _representatives(data)
    _record(group, APPROVED, note=note or "Added by an organiser", by=by)
    db.session.add(group)
    db.session.flush()
    count_group(group, +1)
    if tell_contact:
        _email_contact(group, "Your group's affiliation is recorded", "approved")
    return group


# --- editing ----------------------------------------------------------------------------


def update_group(group: Group, data: Mapping[str, Any], by: str) -> list[str]:
    """Change a group's details and representatives; tell the contact what changed.

    Returns the words for what changed (empty: nothing did, and nothing is recorded).
    A new contact address is told, and so is the old one, so that a contact replaced by
    mistake or by someone with no right to do it hears about it.
    """
    _check_choices(data)
    if group.status not in (APPROVED, REVOKED):
        raise InvalidTransition(group, "edit")
    other = find_same_name_and_kind(data["name"], data["kind"], exclude_id=group.id)
    if other is not None:
        raise DuplicateGroup(other)
    new_representatives = _representatives(data)
    old_keys = group_keys(group.kind, group.region)
    old_contact = group.contact_email
    changed = []
    for name, words in DETAIL_FIELDS.items():
        value = data.get(name)
        if name == "contact_email":
            value = normalise_email(value or "")[0]
        elif name == "decided_how" and not value:
            value = group.decided_how  # optional for organisers, but always on record
        if value != getattr(group, name):
            changed.append(words)
            setattr(group, name, value)
    group.name_normalised = normalise_group_name(group.name)
    group.contact_email_canonical = normalise_email(group.contact_email)[1]
    before = [(r.name, r.email) for r in group.representatives]
    after = [(r.name, r.email) for r in new_representatives]
    if before != after:
        changed.append("representatives")
        group.representatives.clear()
        db.session.flush()  # the old positions go before the new ones take them
        group.representatives.extend(new_representatives)
    if not changed:
        return []
    if is_national_union(group.kind, group.region):
        if group.fee_pence is None:
            group.fee_pence = union_fee_pounds() * 100
            group.fee_due_on = today()
    else:
        group.fee_pence = group.fee_due_on = None
    new_keys = group_keys(group.kind, group.region)
    if group.status == APPROVED and old_keys != new_keys:
        deltas: dict[str, int] = {}
        for key in old_keys:
            deltas[key] = deltas.get(key, 0) - 1
        for key in new_keys:
            deltas[key] = deltas.get(key, 0) + 1
        adjust_tallies(deltas)
    _record(group, group.status, note="Changed " + ", ".join(changed), by=by)
    db.session.flush()
    _email_contact(group, "Your group's details have changed", "changed", changed=changed)
    if old_contact != group.contact_email:
        _email_contact(
            group,
            "Your group's details have changed",
            "changed",
            changed=changed,
            recipient=old_contact,
        )
    return changed


# --- fees -------------------------------------------------------------------------------


def record_fee_payment(
    group: Group, paid_on: dt.date, amount_pence: int, reference: str | None, by: str
) -> GroupFeePayment:
    """Record a union's fee payment; the next fee falls due a year after the latest one."""
    if group.fee_pence is None:
        raise InvalidTransition(group, "record a fee for", "not a national trade union")
    if paid_on > today():
        raise ValueError("The payment date cannot be in the future.")
    if paid_on.year < 2000:
        raise ValueError("Give a payment date from 2000 on.")
    if not 0 < amount_pence <= MAX_FEE_PENCE:
        raise ValueError(f"The amount must be more than £0 and at most £{MAX_FEE_PENCE // 100:,}.")
    payment = GroupFeePayment(
        paid_on=paid_on,
        amount_pence=amount_pence,
        reference=reference or None,
        recorded_by=by,
        recorded_at=utcnow(),
    )
    group.fee_payments.append(payment)
    latest = max(p.paid_on for p in group.fee_payments)
    group.fee_paid_at = dt.datetime.combine(latest, dt.time())
    group.fee_due_on = add_year(latest)
    note = f"Fee of £{amount_pence / 100:,.2f} paid on {paid_on.isoformat()}"
    _record(group, group.status, note=note + (f" (ref. {reference})" if reference else ""), by=by)
    db.session.flush()
    return payment


def _insert_ignoring_duplicates() -> Any:
    dialect = db.session.get_bind().dialect.name
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect](FeeReminder)


@scheduled_job("group-fee-reminders", every=dt.timedelta(hours=6))
def send_fee_reminders(now: dt.datetime | None = None) -> str | None:
    """E-mail each approved union whose fee falls due within 30 days, once per due date.

    Several workers may run this at once: the reminder row's unique (group, due date) is
    inserted with ON CONFLICT DO NOTHING before the e-mail is queued, so only the worker
    whose insert took queues the message, in the same transaction. The caller commits.
    """
    day = (now or utcnow()).date()
    horizon = day + dt.timedelta(days=REMIND_DAYS)
    due = db.session.scalars(
        sa.select(Group)
        .where(
            Group.status == APPROVED,
            Group.fee_pence.is_not(None),
            Group.fee_due_on > day,  # a fee due today or overdue is the organisers' to chase
            Group.fee_due_on <= horizon,
        )
        .order_by(Group.fee_due_on, Group.id)
    ).all()
    sent = 0
    for group in due:
        assert group.fee_due_on is not None  # selected for it
        inserted = db.session.execute(
            _insert_ignoring_duplicates()
            .values(group_id=group.id, due_on=group.fee_due_on, sent_at=utcnow())
            .on_conflict_do_nothing(index_elements=["group_id", "due_on"])
            .returning(FeeReminder.id)  # no row back: another run has sent this one
        ).scalar_one_or_none()
        if inserted is None:
            continue
        _email_contact(
            group,
            "Your affiliation fee falls due soon",
            "fee_reminder",
            due_on=group.fee_due_on,
            fee_pounds=group.fee_pence / 100 if group.fee_pence else 0,
        )
        due_on = group.fee_due_on
        _record(group, group.status, note=f"Fee reminder sent for {due_on and due_on.isoformat()}")
        sent += 1
    return f"{sent} fee reminder{'' if sent == 1 else 's'} queued" if sent else None


# --- revoke and restore -----------------------------------------------------------------


def revoke_group(group: Group, reason: str, by: str) -> None:
    """Take an approved group off the directory and the counters, telling its contact why."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Give a reason for revoking the affiliation.")
    if len(reason) > 500:
        raise ValueError("The reason must be at most 500 characters.")
    _transition(
        group, (APPROVED,), "revoke", status=REVOKED, revoked_at=utcnow(), revoked_reason=reason
    )
    _record(group, REVOKED, note=reason, by=by)
    count_group(group, -1)
    _email_contact(group, "Your group's affiliation has been revoked", "revoked", reason=reason)


def restore_group(group: Group, by: str, note: str | None = None) -> None:
    """Put a revoked group back on the directory and in the counters, telling its contact."""
    _transition(group, (REVOKED,), "restore", status=APPROVED, revoked_at=None, revoked_reason=None)
    _record(group, APPROVED, note=note or "Affiliation restored", by=by)
    count_group(group, +1)
    _email_contact(group, "Your group's affiliation is restored", "restored")


@dataclass(frozen=True)
class HistoryLine:
    """One line of a group's own history on its page."""

    at: dt.datetime
    status: str
    note: str | None
    by: str | None


def group_history(group: Group) -> list[HistoryLine]:
    """The group's events, newest first."""
    return [HistoryLine(e.at, e.status, e.note, e.by) for e in reversed(group.events)]
