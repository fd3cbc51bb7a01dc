"""Affiliations: register, confirm, review (approve, reject, fee), withdraw, and the directory.

Every function changes the session and may flush, but never commits: the caller commits,
so that a status change, its GroupEvent, its e-mails and its tally land in one transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from campaign.closure import anonymise_due, anonymised_email_expression, not_yet_anonymised
from campaign.content import current_content
from campaign.email_address import normalise_email
from campaign.extensions import db
from campaign.groups.models import (
    APPROVED,
    CONFIRMED,
    GROUP_KINDS,
    GROUP_REGIONS,
    MAX_REPRESENTATIVES,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    Group,
    GroupEvent,
    GroupRepresentative,
)
from campaign.mail.services import delete_mail_to, queue_email, recently_mailed
from campaign.models import rows_changed, utcnow
from campaign.regions import AREA_NAMES
from campaign.scheduler import scheduled_job
from campaign.security import make_token
from campaign.tally import count_group, group_keys, read_tallies
from campaign.urls import external_url

CONFIRM_PURPOSE = "group-confirm"
WITHDRAW_PURPOSE = "group-withdraw"
CONFIRM_MAX_AGE = 7 * 24 * 3600  # as for signatures
# Withdraw links sit in every e-mail to the contact and are used rarely, often much later.
WITHDRAW_MAX_AGE = 365 * 24 * 3600
# A group whose contact never confirmed is deleted after this long (the privacy notice).
UNCONFIRMED_KEPT_DAYS = 30
DEFAULT_UNION_FEE_POUNDS = 500  # SPEC section 6, when campaign.toml does not say

# Which statuses each change may start from. Rejected and withdrawn are final.
OPEN_STATUSES = (SUBMITTED, CONFIRMED, APPROVED)
CAN_APPROVE = (CONFIRMED,)
CAN_REJECT = (SUBMITTED, CONFIRMED, APPROVED)
CAN_WITHDRAW = OPEN_STATUSES


class InvalidTransition(Exception):
    """The group's status does not allow this change (the organisers' screens answer 409)."""

    def __init__(self, group: Group, action: str, status: str | None = None):
        self.group = group
        self.action = action
        self.status = status or group.status
        super().__init__(f"Cannot {action} “{group.name}”: it is {describe_status(self.status)}.")


STATUS_DESCRIPTIONS = {
    SUBMITTED: "waiting for its contact to confirm their e-mail address",
    CONFIRMED: "pending review",
    APPROVED: "already approved",
    REJECTED: "rejected",
    WITHDRAWN: "withdrawn",
}


def describe_status(status: str) -> str:
    """A group status in words, for messages."""
    return STATUS_DESCRIPTIONS.get(status, status)


# --- names, fees, links ---------------------------------------------------------------


def normalise_group_name(name: str) -> str:
    """The comparable form of a group name: no accents, case or punctuation, "&" as "and"."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"[\W_]+", " ", text).strip()
    text = re.sub(r"^the ", "", text)
    return text[:150]


def kind_count_label(kind: str, count: int) -> str:
    """A count of groups of one kind in words: "1 Momentum branch", "4 trade union bodies"."""
    singular, plural = GROUP_KINDS[kind]
    if count != 1:
        return f"{count:,} {plural}"
    if kind == "other":
        return "1 other group"
    # Sentence case as the plural has it: "local Labour left group" but "Momentum branch".
    return f"1 {singular[0].lower() + singular[1:] if plural[0].islower() else singular}"


def union_fee_pounds() -> int:
    """The yearly affiliation fee of a national trade union, from content/campaign.toml."""
    groups = current_content().campaign.get("groups", {})
    return int(groups.get("union_fee_pounds", DEFAULT_UNION_FEE_POUNDS))


def is_national_union(kind: str, region: str) -> bool:
    """Whether a group of this kind and region pays the affiliation fee."""
    return kind == "trade-union" and region == "national"


def confirm_url(group: Group) -> str:
    """The link in the first e-mail that lets the contact confirm their address."""
    token = make_token(CONFIRM_PURPOSE, {"group": group.id})
    return external_url("groups.confirm", token=token)


def withdraw_url(group: Group) -> str:
    """The link in every e-mail to the contact that lets the group withdraw."""
    token = make_token(WITHDRAW_PURPOSE, {"group": group.id})
    return external_url("groups.withdraw", token=token)


def _email_contact(
    group: Group, subject: str, template: str, recipient: str | None = None, **context: Any
) -> None:
    links = {"withdraw_url": withdraw_url(group)} if group.status in CAN_WITHDRAW else {}
    queue_email(
        recipient or group.contact_email,
        subject,
        f"groups/email/{template}",
        group=group,
        directory_url=external_url("groups.directory"),
        **links,
        **context,
    )


def organiser_addresses() -> list[str]:
    """The addresses that hear of new groups to review (config ORGANISER_NOTIFY_EMAILS)."""
    value = current_app.config.get("ORGANISER_NOTIFY_EMAILS") or []
    if isinstance(value, str):  # a comma-separated environment variable
        value = value.split(",")
    return [address.strip() for address in value if address and address.strip()]


def _review_url() -> str:
    # The organisers' room is another feature; link to its queue once it exists.
    for endpoint in ("organisers.groups", "organisers.dashboard"):
        if endpoint in current_app.view_functions:
            return external_url(endpoint)
    return external_url("programme.home")


def _record(group: Group, status: str, note: str | None = None, by: str | None = None) -> None:
    group.events.append(GroupEvent(status=status, note=note and note[:500], by=by, at=utcnow()))


# --- the public side ------------------------------------------------------------------


def find_duplicate(
    name_normalised: str, region: str, email_canonical: str, exclude_id: int | None = None
) -> tuple[Group | None, str | None]:
    """The oldest open group with the same normalised name and region or contact e-mail."""
    query = (
        sa.select(Group)
        .where(
            Group.status.in_(OPEN_STATUSES),
            sa.or_(
                sa.and_(Group.name_normalised == name_normalised, Group.region == region),
                Group.contact_email_canonical == email_canonical,
            ),
        )
        .order_by(Group.id)
    )
    if exclude_id is not None:
        query = query.where(Group.id != exclude_id)
    match = db.session.scalars(query.limit(1)).first()
    if match is None:
        return None, None
    reasons = []
    if match.name_normalised == name_normalised and match.region == region:
        reasons.append("same name and region")
    if match.contact_email_canonical == email_canonical:
        reasons.append("same contact e-mail")
    return match, f"{' and '.join(reasons).capitalize()} as group #{match.id} “{match.name}”"[:200]


def register_group(data: Mapping[str, Any]) -> Group:
    """Add a submitted affiliation, flag a near-duplicate and e-mail the confirmation link.

    `data` holds name, kind, region, contact_name, contact_email, decided_how and optionally
    town, website, contact_phone, members, statement, ip_hash and `representatives`
    (up to three mappings with name and email), as validated by the affiliation form.
    """
    kind, region = data["kind"], data["region"]
    if kind not in GROUP_KINDS:
        raise ValueError(f"unknown kind of group: {kind!r}")
    if region not in GROUP_REGIONS:
        raise ValueError(f"unknown region: {region!r}")
    representatives = [r for r in data.get("representatives") or [] if r.get("name")]
    if len(representatives) > MAX_REPRESENTATIVES:
        raise ValueError(f"at most {MAX_REPRESENTATIVES} representatives")
    contact_email, contact_canonical = normalise_email(data["contact_email"])
    name_normalised = normalise_group_name(data["name"])

    duplicate, duplicate_reason = find_duplicate(name_normalised, region, contact_canonical)
    group = Group(
        name=data["name"],
        name_normalised=name_normalised,
        kind=kind,
        region=region,
        town=data.get("town"),
        website=data.get("website"),
        contact_name=data["contact_name"],
        contact_email=contact_email,
        contact_email_canonical=contact_canonical,
        contact_phone=data.get("contact_phone"),
        members=data.get("members"),
        decided_how=data["decided_how"],
        statement=data.get("statement"),
        status=SUBMITTED,
        fee_pence=union_fee_pounds() * 100 if is_national_union(kind, region) else None,
        duplicate_of_id=duplicate.id if duplicate else None,
        duplicate_reason=duplicate_reason,
        ip_hash=data.get("ip_hash"),
        created_at=utcnow(),
    )
    group.representatives = [
        GroupRepresentative(position=n, name=r["name"], email=normalise_email(r["email"])[0])
        for n, r in enumerate(representatives, start=1)
    ]
    _record(group, SUBMITTED, note=duplicate_reason)
    db.session.add(group)
    db.session.flush()  # the id goes into the links
    # Naming one address as the contact of group after group must not flood its inbox:
    # the groups are recorded, but the address gets no more than its hourly share.
    if not recently_mailed(contact_email):
        _email_contact(
            group,
            "Please confirm your group's affiliation",
            "confirm",
            confirm_url=confirm_url(group),
            fee_pounds=union_fee_pounds() if group.fee_pence is not None else None,
        )
    return group


def _transition(group: Group, allowed: Iterable[str], action: str, **values: Any) -> str:
    """Move the group to values["status"] only if its status (in the database) allows it.

    The row is locked and then updated only if its status is still the one read, so two
    organisers clicking at once change (and count) it once. Returns the status before.
    """
    db.session.flush()
    before = db.session.scalar(
        sa.select(Group.status).where(Group.id == group.id).with_for_update()
    )
    if before not in tuple(allowed):
        db.session.refresh(group)
        raise InvalidTransition(group, action, before)
    result = db.session.execute(
        sa.update(Group)
        .where(Group.id == group.id, Group.status == before)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(group)
    if rows_changed(result) != 1:
        raise InvalidTransition(group, action)
    return before


def confirm_group_contact(group: Group) -> bool:
    """The contact proved their address: submitted → confirmed (pending review).

    Returns False when it was already confirmed (confirming twice is harmless);
    raises InvalidTransition for a rejected or withdrawn group.
    """
    if group.status in (CONFIRMED, APPROVED):
        return False
    _transition(group, (SUBMITTED,), "confirm", status=CONFIRMED, confirmed_at=utcnow())
    _record(group, CONFIRMED)
    _email_contact(group, "Your affiliation is pending review", "pending")
    for address in organiser_addresses():
        queue_email(
            address,
            f"New group to review: {group.name}",
            "groups/email/new_group",
            group=group,
            review_url=_review_url(),
        )
    return True


# --- the organisers' decisions --------------------------------------------------------


def approve_group(group: Group, by: str) -> None:
    """Approve a confirmed group: it is listed publicly and counted."""
    now = utcnow()
    _transition(
        group,
        CAN_APPROVE,
        "approve",
        status=APPROVED,
        approved_at=now,
        decided_at=now,
        decided_by=by,
        rejection_reason=None,
    )
    _record(group, APPROVED, by=by)
    count_group(group, +1)
    if group.fee_pence is not None and group.fee_due_on is None:
        # A union's first fee falls due on approval, unless a payment is already recorded.
        group.fee_due_on = add_year(group.fee_paid_on) if group.fee_paid_on else now.date()
    _email_contact(group, "Your group's affiliation is approved", "approved")


def reject_group(group: Group, reason: str, by: str) -> None:
    """Reject a group with a reason e-mailed to its contact; an approved one is delisted."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("A reason is required to reject a group.")
    if len(reason) > 500:
        raise ValueError("The reason must be at most 500 characters.")
    before = _transition(
        group,
        CAN_REJECT,
        "reject",
        status=REJECTED,
        decided_at=utcnow(),
        decided_by=by,
        rejection_reason=reason,
    )
    _record(group, REJECTED, note=reason, by=by)
    if before == APPROVED:
        count_group(group, -1)
    _email_contact(group, "About your group's affiliation", "rejected", reason=reason)


def add_year(day: dt.date) -> dt.date:
    """The same day a year later (29 February becomes 28 February)."""
    year = day.year + 1
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def record_fee_paid(group: Group, paid_on: dt.date | None, by: str) -> None:
    """Record the day a national trade union paid its affiliation fee (None clears it)."""
    if group.fee_pence is None:
        raise InvalidTransition(group, "record a fee for", "not a national trade union")
    if paid_on is not None and paid_on > utcnow().date():
        raise ValueError("The payment date cannot be in the future.")
    group.fee_paid_at = dt.datetime.combine(paid_on, dt.time()) if paid_on else None
    # The next fee falls due a year on (docs/groups.md); cleared, it is due from approval.
    approved_on = group.approved_at.date() if group.approved_at else None
    group.fee_due_on = add_year(paid_on) if paid_on else approved_on
    note = f"Fee paid on {paid_on.isoformat()}" if paid_on else "Fee payment cleared"
    _record(group, group.status, note=note, by=by)
    db.session.flush()


def withdraw_group(group: Group) -> None:
    """The group withdraws from any open status; an approved one leaves the directory and counts."""
    before = _transition(group, CAN_WITHDRAW, "withdraw", status=WITHDRAWN, withdrawn_at=utcnow())
    _record(group, WITHDRAWN)
    if before == APPROVED:
        count_group(group, -1)
    _email_contact(group, "Your group has withdrawn its affiliation", "withdrawn")


# --- queries --------------------------------------------------------------------------


def approved_groups(
    kind: str | None = None, region: str | None = None, search: str | None = None
) -> sa.Select:
    """Approved groups in name order, optionally of one kind, in one region, matching a name."""
    query = sa.select(Group).where(Group.status == APPROVED)
    if kind:
        query = query.where(Group.kind == kind)
    if region:
        query = query.where(Group.region == region)
    needle = normalise_group_name(search or "")
    if needle:
        query = query.where(Group.name_normalised.contains(needle, autoescape=True))
    return query.order_by(Group.name_normalised, Group.id)


def approved_group_counts() -> dict[str, int]:
    """Approved groups per kind, in GROUP_KINDS order, from the running tallies."""
    tallies = read_tallies("groups:kind:")
    return {kind: tallies.get(f"groups:kind:{kind}", 0) for kind in GROUP_KINDS}


def groups_with_fees() -> list[Group]:
    """Approved groups that owe an affiliation fee, unpaid first, then by name."""
    # Approved ones only: a union still awaiting review is in the review table, with its
    # fee form, and one row (one element id) per group keeps in-place swaps unambiguous.
    query = (
        sa.select(Group)
        .where(Group.fee_pence.is_not(None), Group.status == APPROVED)
        .order_by(Group.fee_paid_at.is_not(None), Group.name)
    )
    return list(db.session.scalars(query))


def duplicates_of(groups: Iterable[Group]) -> dict[int, Group]:
    """The groups these ones may duplicate, by id (for the review queue's warnings)."""
    ids = {g.duplicate_of_id for g in groups if g.duplicate_of_id}
    if not ids:
        return {}
    return {g.id: g for g in db.session.scalars(sa.select(Group).where(Group.id.in_(ids)))}


@dataclass(frozen=True)
class ReviewQueue:
    """What the organisers' affiliations page shows: decisions due, fees to track."""

    awaiting: list[Group]
    fees: list[Group]
    duplicates: dict[int, Group]


def review_queue() -> ReviewQueue:
    """The groups awaiting a decision, the fees to track, and what they may duplicate."""
    awaiting = list(db.session.scalars(groups_awaiting_review()))
    fees = groups_with_fees()
    return ReviewQueue(awaiting, fees, duplicates_of(awaiting + fees))


def groups_awaiting_review() -> sa.Select:
    """Confirmed groups waiting for an organiser's decision, oldest first."""
    return (
        sa.select(Group)
        .where(Group.status == CONFIRMED)
        .options(selectinload(Group.representatives))
        .order_by(Group.confirmed_at, Group.id)
    )


@dataclass(frozen=True)
class PublicGroup:
    """The public face of an approved group: never its contacts."""

    name: str
    kind: str
    kind_label: str
    region: str
    region_name: str
    town: str | None
    website: str | None


def public_groups(kind: str | None = None, region: str | None = None) -> list[PublicGroup]:
    """Approved groups, by name, optionally of one kind and/or one region."""
    query = sa.select(Group.name, Group.kind, Group.region, Group.town, Group.website).where(
        Group.status == APPROVED
    )
    if kind:
        query = query.where(Group.kind == kind)
    if region:
        query = query.where(Group.region == region)
    rows = db.session.execute(query.order_by(sa.func.lower(Group.name), Group.id))
    return [
        PublicGroup(
            name=name,
            kind=kind,
            kind_label=GROUP_KINDS.get(kind, (kind,))[0],
            region=region,
            region_name=AREA_NAMES.get(region, region),
            town=town,
            website=website,
        )
        for name, kind, region, town, website in rows
    ]


def recount_group_tallies() -> dict[str, int]:
    """The group tallies recomputed from the groups table (COUNT queries)."""
    tallies: dict[str, int] = {}
    for kind, region, n in db.session.execute(
        sa.select(Group.kind, Group.region, sa.func.count())
        .where(Group.status == APPROVED)
        .group_by(Group.kind, Group.region)
    ):
        for key in group_keys(kind, region):
            tallies[key] = tallies.get(key, 0) + n
    return tallies


def purge_unconfirmed_groups(older_than_days: int, now: dt.datetime) -> int:
    """Delete groups whose contact never confirmed within `older_than_days`; how many.

    Their representatives and history go with them (ON DELETE CASCADE), and so do the
    e-mails to their contacts. Unconfirmed groups were never counted.
    """
    cutoff = now - dt.timedelta(days=older_than_days)
    stale = sa.and_(Group.status == SUBMITTED, Group.created_at < cutoff)
    rows = db.session.execute(sa.select(Group.id, Group.contact_email).where(stale)).all()
    if not rows:
        return 0
    delete_mail_to(sorted({email for _, email in rows}))
    result = db.session.execute(
        sa.delete(Group)
        .where(Group.id.in_([group_id for group_id, _ in rows]), stale)
        .execution_options(synchronize_session=False)
    )
    return int(rows_changed(result))


@scheduled_job("purge-unconfirmed-groups", every=dt.timedelta(hours=1))
def purge_unconfirmed_groups_job(now: dt.datetime) -> str:
    """Hourly: delete affiliations whose contact never confirmed within 30 days."""
    count = purge_unconfirmed_groups(UNCONFIRMED_KEPT_DAYS, now)
    return f"purged {count} unconfirmed group{'' if count == 1 else 's'}"


@scheduled_job("anonymise-group-contacts-after-close", every=dt.timedelta(hours=1))
def anonymise_group_contacts_job(now: dt.datetime) -> str:
    """Once the closed campaign's date has come: strip groups of their people's details.

    The groups themselves (name, kind, region, status) are public and stay, with the
    counts; their contacts' and representatives' names, addresses and phones go.
    """
    if not anonymise_due(now):
        return "not due"
    anonymous = anonymised_email_expression(Group.id)
    result = db.session.execute(
        sa.update(Group)
        .where(not_yet_anonymised(Group.contact_email))
        .values(
            contact_name="",
            contact_email=anonymous,
            contact_email_canonical=anonymous,
            contact_phone=None,
            ip_hash=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(GroupRepresentative)
        .where(not_yet_anonymised(GroupRepresentative.email))
        .values(name="", email=anonymised_email_expression(GroupRepresentative.id))
        .execution_options(synchronize_session=False)
    )
    groups = rows_changed(result)
    return f"anonymised the contacts of {groups} group{'' if groups == 1 else 's'}"
