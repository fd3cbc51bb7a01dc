"""Events and RSVPs: create, change, cancel; double opt-in places, the waiting list, reminders.

Like the appeal, every function changes the session and may flush but never commits: the
caller commits, so a change and the e-mails it queues land in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from campaign.closure import anonymise_due, is_closed
from campaign.email_address import normalise_email
from campaign.events.models import (
    CANCELLED,
    DECLINED,
    GOING,
    PENDING,
    PROPOSED,
    PUBLISHED,
    RSVP_CANCELLED,
    WAITING,
    Event,
    Motion,
    Rsvp,
    event_groups,
)
from campaign.extensions import db
from campaign.groups.models import APPROVED, Group
from campaign.mail.services import delete_mail_to, queue_email
from campaign.models import rows_changed, utcnow
from campaign.personal_data import Holder, register_holder
from campaign.scheduler import scheduled_job
from campaign.security import TokenInvalid, make_row_token, make_token, read_token, row_from_token
from campaign.urls import external_url

LONDON = ZoneInfo("Europe/London")

# Token purposes: each link does one thing only.
RSVP_CONFIRM = "event-rsvp-confirm"
RSVP_MANAGE = "event-rsvp-manage"
PROPOSE = "event-propose"
RSVP_CONFIRM_MAX_AGE = 7 * 24 * 3600
PROPOSE_MAX_AGE = 7 * 24 * 3600
REMIND_BEFORE = dt.timedelta(hours=24)
# An unconfirmed RSVP is deleted after this; every RSVP this long after its event ends.
UNCONFIRMED_KEPT = dt.timedelta(days=7)
KEPT_AFTER_EVENT = dt.timedelta(days=30)
# Someone typing another person's address again and again must not flood that inbox.
MAILS_PER_HOUR = 5


class EventProblem(ValueError):
    """A change to an event that cannot be made (the message says why, for people)."""


class RsvpGone(LookupError):
    """A genuine link whose RSVP has since been cancelled and erased, or purged."""


@dataclass(frozen=True)
class EventDetails:
    """What the event form collects, validated: times already in UTC."""

    title: str
    kind: str
    region: str | None
    group_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    venue: str | None
    online_url: str | None
    agenda: str
    capacity: int


# --- time ----------------------------------------------------------------------------


def london_to_utc(local: dt.datetime) -> dt.datetime:
    """A wall-clock time in London as naive UTC (how the database stores times)."""
    return local.replace(tzinfo=LONDON).astimezone(dt.UTC).replace(tzinfo=None)


def utc_to_london(stored: dt.datetime) -> dt.datetime:
    """A stored naive-UTC time as an aware London time, for people."""
    return stored.replace(tzinfo=dt.UTC).astimezone(LONDON)


# --- events --------------------------------------------------------------------------


def slugify_title(title: str, starts_at: dt.datetime) -> str:
    """A readable, unique-ish slug: the title's words and the date (e.g. `launch-2026-12-05`)."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:90].rstrip("-") or "event"
    return f"{words}-{starts_at:%Y-%m-%d}"


def _free_slug(base: str) -> str:
    slug, n = base, 1
    while db.session.scalar(sa.select(Event.id).where(Event.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def check_details(
    details: EventDetails, now: dt.datetime | None = None, *, new_time: bool = True
) -> None:
    """The rules a form cannot see alone; EventProblem names the first one broken.

    `new_time` is False when an edit keeps the event's times: a past event's title or
    agenda may still be corrected.
    """
    now = now or utcnow()
    if details.ends_at <= details.starts_at:
        raise EventProblem("The event must end after it starts.")
    if new_time and details.starts_at <= now:
        raise EventProblem("The event must start in the future.")
    if details.kind == "online" and not details.online_url:
        raise EventProblem("An online event needs its joining link.")
    if details.kind != "online" and not details.venue:
        raise EventProblem("An event in person needs its address.")
    if details.group_id is not None:
        group = db.session.get(Group, details.group_id)
        if group is None or group.status != APPROVED:
            raise EventProblem("Only an affiliated (approved) group can host an event.")


def create_event(
    details: EventDetails, *, status: str = PUBLISHED, proposed_by: str | None = None
) -> Event:
    """A new event (published by organisers, or proposed by a group's contact)."""
    check_details(details)
    event = Event(
        slug=_free_slug(slugify_title(details.title, details.starts_at)),
        status=status,
        proposed_by=proposed_by,
        **_columns(details),
    )
    db.session.add(event)
    db.session.flush()
    return event


def _columns(details: EventDetails) -> dict[str, Any]:
    return {
        "title": details.title,
        "kind": details.kind,
        "region": details.region,
        "group_id": details.group_id,
        "starts_at": details.starts_at,
        "ends_at": details.ends_at,
        "venue": details.venue if details.kind != "online" else None,
        "online_url": details.online_url if details.kind == "online" else None,
        "agenda": details.agenda,
        "capacity": details.capacity,
    }


def update_event(event: Event, details: EventDetails) -> list[str]:
    """Change an event; going people are told of a new time or place. Returns what changed."""
    if event.status == CANCELLED:
        raise EventProblem("A cancelled event cannot be changed.")
    same_time = (details.starts_at, details.ends_at) == (event.starts_at, event.ends_at)
    check_details(details, new_time=not same_time)
    before = {key: getattr(event, key) for key in _columns(details)}
    for key, value in _columns(details).items():
        setattr(event, key, value)
    changed = [key for key, value in before.items() if getattr(event, key) != value]
    if not changed:
        return []
    event.sequence += 1
    event.updated_at = utcnow()
    if {"starts_at", "ends_at", "venue", "online_url"} & set(changed):
        for rsvp in places_of(event, (GOING, WAITING)):
            _email(rsvp, f"Changed: {event.title}", "changed")
    # A bigger room lets people in from the waiting list.
    promote_from_waiting_list(event)
    return changed


def cancel_event(event: Event, reason: str) -> int:
    """Cancel an event and tell everyone who RSVP'd; returns how many were told."""
    if event.status == CANCELLED:
        raise EventProblem("This event is already cancelled.")
    if not reason.strip():
        raise EventProblem("Say why the event is cancelled: everyone who replied is told.")
    event.status = CANCELLED
    event.cancel_reason = reason.strip()
    event.sequence += 1
    event.updated_at = utcnow()
    told = 0
    for rsvp in places_of(event, (GOING, WAITING)):
        _email(rsvp, f"Cancelled: {event.title}", "cancelled")
        told += 1
    return told


def decide_proposal(event: Event, publish: bool) -> None:
    """Publish or decline an event a group proposed; its contact is told either way."""
    if event.status != PROPOSED:
        raise EventProblem("This event is not waiting for a decision.")
    event.status = PUBLISHED if publish else DECLINED
    event.updated_at = utcnow()
    if event.proposed_by:
        queue_email(
            event.proposed_by,
            f"{'Published' if publish else 'Not published'}: {event.title}",
            "events/email/proposal_decided",
            event=event,
            published=publish,
            event_url=external_url("events.event", slug=event.slug),
            when=utc_to_london(event.starts_at),
        )


def public_events(
    *, kind: str | None = None, region: str | None = None, now: dt.datetime | None = None
) -> tuple[list[Event], list[Event]]:
    """(upcoming soonest first, past newest first) of the published and cancelled events."""
    now = now or utcnow()
    query = sa.select(Event).where(Event.status.in_((PUBLISHED, CANCELLED)))
    if kind:
        query = query.where(Event.kind == kind)
    if region:
        query = query.where(Event.region == region)
    upcoming = db.session.scalars(
        query.where(Event.ends_at >= now).order_by(Event.starts_at).limit(200)
    ).all()
    past = db.session.scalars(
        query.where(Event.ends_at < now).order_by(Event.starts_at.desc()).limit(200)
    ).all()
    return list(upcoming), list(past)


def public_event(slug: str) -> Event | None:
    """A published or cancelled event by its slug (proposed and declined ones are not public)."""
    return db.session.scalar(
        sa.select(Event).where(Event.slug == slug, Event.status.in_((PUBLISHED, CANCELLED)))
    )


def events_for_organisers(status: str | None = None) -> list[Event]:
    """Every event, newest start first, optionally of one status."""
    query = sa.select(Event).order_by(Event.starts_at.desc())
    if status:
        query = query.where(Event.status == status)
    return list(db.session.scalars(query.limit(500)))


def approved_groups_for_choice() -> list[tuple[int, str]]:
    """(id, name) of every affiliated group, for the host and represented-groups lists."""
    rows = db.session.execute(
        sa.select(Group.id, Group.name).where(Group.status == APPROVED).order_by(Group.name)
    ).all()
    return [(id_, name) for id_, name in rows]


# --- places --------------------------------------------------------------------------


def places_of(event: Event, statuses: tuple[str, ...]) -> list[Rsvp]:
    """RSVPs of `event` in `statuses`, in the order their places were asked for."""
    return list(
        db.session.scalars(
            sa.select(Rsvp)
            .where(Rsvp.event_id == event.id, Rsvp.status.in_(statuses))
            .order_by(Rsvp.confirmed_at, Rsvp.id)
        )
    )


def going_count(event: Event) -> int:
    """How many confirmed places an event has."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(Rsvp.event_id == event.id, Rsvp.status == GOING)
        )
        or 0
    )


def rsvp_token(purpose: str, rsvp: Rsvp) -> str:
    """A signed token naming this RSVP (and its random code) for one purpose."""
    return make_row_token(purpose, rsvp.id, rsvp.code)


def rsvp_from_token(purpose: str, token: str, max_age: int | None) -> Rsvp:
    """The RSVP a token names; TokenInvalid/TokenExpired or RsvpGone otherwise."""
    return row_from_token(
        purpose, token, max_age, Rsvp, lambda rsvp: rsvp.code,
        lambda: RsvpGone("this reply has been erased"),
    )  # fmt: skip


def _email(rsvp: Rsvp, subject: str, template: str, **context: Any) -> None:
    event = rsvp.event
    queue_email(
        rsvp.email,
        subject,
        f"events/email/{template}",
        rsvp=rsvp,
        event=event,
        when=utc_to_london(event.starts_at),
        until=utc_to_london(event.ends_at),
        event_url=external_url("events.event", slug=event.slug),
        ics_url=external_url("events.event_ics", slug=event.slug),
        manage_url=external_url("events.rsvp", token=rsvp_token(RSVP_MANAGE, rsvp)),
        **context,
    )


def _may_mail(rsvp: Rsvp, now: dt.datetime) -> bool:
    # At most MAILS_PER_HOUR confirmation e-mails an hour to one address for one event.
    started = rsvp.mail_hour_started_at
    if started is None or now - started >= dt.timedelta(hours=1):
        rsvp.mail_hour_started_at, rsvp.mails_this_hour = now, 0
    if rsvp.mails_this_hour >= MAILS_PER_HOUR:
        return False
    rsvp.mails_this_hour += 1
    return True


def ask_for_place(event: Event, email: str, name: str, name_me: bool) -> None:
    """Someone asks for a place: a confirmation link is e-mailed; nothing else is revealed.

    The answer on the page is the same whether or not the address had replied before, so
    the form cannot be used to learn who is going to a meeting.
    """
    if event.status != PUBLISHED:
        raise EventProblem("This event is not taking replies.")
    if event.starts_at <= utcnow():
        raise EventProblem("This event has started: replies are closed.")
    if is_closed():
        raise EventProblem("The campaign has closed: it takes no more replies.")
    address, canonical = normalise_email(email)
    now = utcnow()
    rsvp = db.session.scalar(
        sa.select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.email_canonical == canonical)
    )
    if rsvp is None:
        rsvp = Rsvp(
            event_id=event.id, email=address, email_canonical=canonical, name=name, name_me=name_me
        )
        db.session.add(rsvp)
        db.session.flush()
        db.session.refresh(rsvp)
    elif rsvp.status in (PENDING, RSVP_CANCELLED):
        # Asking again (or again after cancelling) starts over: a new confirmation.
        rsvp.status, rsvp.name, rsvp.name_me = PENDING, name, name_me
        rsvp.confirmed_at = rsvp.cancelled_at = None
    if not _may_mail(rsvp, now):
        return
    if rsvp.status == PENDING:
        _email(
            rsvp,
            f"Confirm your place: {event.title}",
            "confirm",
            confirm_url=external_url("events.confirm", token=rsvp_token(RSVP_CONFIRM, rsvp)),
        )
    else:  # already going or waiting: remind them, change nothing
        _email(rsvp, f"Your reply: {event.title}", "already")


def confirm_place(rsvp: Rsvp) -> str:
    """Confirm a pending RSVP: a place if one is free, else the waiting list. Returns status."""
    if rsvp.status != PENDING:
        return rsvp.status
    event = rsvp.event
    if event.status != PUBLISHED:
        raise EventProblem("This event is not taking replies.")
    # Lock the event row while places are counted, so two confirmations cannot both take
    # the last place (SQLite serialises writers anyway).
    db.session.execute(sa.select(Event.id).where(Event.id == event.id).with_for_update()).first()
    rsvp.confirmed_at = utcnow()
    rsvp.status = GOING if going_count(event) < event.capacity else WAITING
    db.session.flush()
    if rsvp.status == GOING:
        _email(rsvp, f"You're going: {event.title}", "going")
    else:
        _email(rsvp, f"Waiting list: {event.title}", "waiting")
    return rsvp.status


def cancel_place(rsvp: Rsvp) -> None:
    """Give up a place (or a place on the waiting list); the next waiting person moves up."""
    if rsvp.status == RSVP_CANCELLED:
        return
    was_going = rsvp.status == GOING
    rsvp.status, rsvp.cancelled_at = RSVP_CANCELLED, utcnow()
    db.session.flush()
    if was_going:
        promote_from_waiting_list(rsvp.event)


def promote_from_waiting_list(event: Event) -> list[Rsvp]:
    """Give free places to the longest-waiting people, each told by e-mail."""
    if event.status != PUBLISHED or event.starts_at <= utcnow():
        return []
    free = event.capacity - going_count(event)
    moved = []
    for rsvp in places_of(event, (WAITING,))[: max(free, 0)]:
        rsvp.status = GOING
        _email(rsvp, f"A place is yours: {event.title}", "promoted")
        moved.append(rsvp)
    db.session.flush()
    return moved


def erase_rsvp(rsvp: Rsvp) -> None:
    """Delete an RSVP and the e-mails to it; a freed place goes to the waiting list."""
    event, was_going = rsvp.event, rsvp.status == GOING
    delete_mail_to([rsvp.email])
    db.session.delete(rsvp)
    db.session.flush()
    if was_going:
        promote_from_waiting_list(event)


def rsvps_of_address(canonical: str) -> list[Rsvp]:
    """Every RSVP made with one (canonical) e-mail address, for my-data and erasure."""
    return list(
        db.session.scalars(
            sa.select(Rsvp).where(Rsvp.email_canonical == canonical).order_by(Rsvp.created_at)
        )
    )


def erase_rsvps_of_address(canonical: str) -> int:
    """Erase every RSVP of an address (a supporter's erasure reaches their RSVPs too)."""
    rsvps = rsvps_of_address(canonical)
    for rsvp in rsvps:
        erase_rsvp(rsvp)
    return len(rsvps)


# --- at the door ---------------------------------------------------------------------


def door_list(event: Event, search: str = "") -> list[Rsvp]:
    """Going people (and the waiting list) by name, optionally those whose name matches."""
    query = (
        sa.select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status.in_((GOING, WAITING)))
        .order_by(Rsvp.status, Rsvp.name, Rsvp.id)
    )
    search = " ".join(search.split())[:100]
    if search:
        query = query.where(Rsvp.name.ilike(f"%{search}%"))
    return list(db.session.scalars(query.limit(2000)))


def set_checked_in(rsvp: Rsvp, present: bool) -> None:
    """Mark someone present (or take the mark back)."""
    rsvp.checked_in_at = utcnow() if present else None


# --- reports -------------------------------------------------------------------------


@dataclass(frozen=True)
class MotionVotes:
    title: str
    votes_for: int
    votes_against: int
    abstentions: int


def publish_report(
    event: Event, text: str, motions: list[MotionVotes], group_ids: list[int]
) -> None:
    """Publish what an event decided: text, motions with votes, represented groups, names.

    Names are those of people marked present who ticked "name me as present"; nobody else
    is named, and the names are copied so the report outlives the RSVPs' deletion.
    """
    if event.status != PUBLISHED or event.starts_at > utcnow():
        raise EventProblem("A report can be published once the event has taken place.")
    groups = list(
        db.session.scalars(
            sa.select(Group).where(Group.id.in_(group_ids), Group.status == APPROVED)
        )
    )
    if len(groups) != len(set(group_ids)):
        raise EventProblem("Choose represented groups from the affiliated groups.")
    event.report = text
    event.motions = [
        Motion(
            position=n,
            title=m.title,
            votes_for=m.votes_for,
            votes_against=m.votes_against,
            abstentions=m.abstentions,
        )
        for n, m in enumerate(motions)
    ]
    event.represented_groups = groups
    event.named_attendees = sorted(
        rsvp.name
        for rsvp in places_of(event, (GOING,))
        if rsvp.name_me and rsvp.checked_in_at is not None
    )
    event.report_published_at = utcnow()


# --- proposals from groups -----------------------------------------------------------


def send_proposal_link(contact_email: str) -> bool:
    """E-mail a propose-an-event link to an affiliated group's contact; True if one was sent.

    The page says the same either way, so it does not tell who is a group's contact.
    """
    try:
        _, canonical = normalise_email(contact_email)
    except ValueError:
        return False
    groups = db.session.scalars(
        sa.select(Group).where(Group.contact_email_canonical == canonical, Group.status == APPROVED)
    ).all()
    for group in groups:
        queue_email(
            group.contact_email,
            f"Propose an event for {group.name}",
            "events/email/propose_link",
            group=group,
            propose_url=external_url("events.propose", token=make_token(PROPOSE, group.id)),
        )
    return bool(groups)


def group_from_proposal_token(token: str) -> Group:
    """The affiliated group a propose link names; TokenInvalid/TokenExpired otherwise."""
    group_id = read_token(PROPOSE, token, max_age=PROPOSE_MAX_AGE)
    group = db.session.get(Group, group_id) if isinstance(group_id, int) else None
    if group is None or group.status != APPROVED:
        raise TokenInvalid("this link is not valid: the group is not affiliated")
    return group


def events_awaiting_decision() -> int:
    """How many proposed events wait for organisers."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Event).where(Event.status == PROPOSED)
        )
        or 0
    )


# --- the schedule --------------------------------------------------------------------


def send_reminders(now: dt.datetime) -> int:
    """Queue the reminder for every going person whose event starts within 24 hours, once.

    Each RSVP is claimed with a conditional UPDATE on `reminded_at`, so two schedulers
    running at once still send one reminder each.
    """
    due = db.session.scalars(
        sa.select(Rsvp)
        .join(Event, Event.id == Rsvp.event_id)
        .where(
            Rsvp.status == GOING,
            Rsvp.reminded_at.is_(None),
            Event.status == PUBLISHED,
            Event.starts_at > now,
            Event.starts_at <= now + REMIND_BEFORE,
        )
        .limit(2000)
    ).all()
    sent = 0
    for rsvp in due:
        claimed = db.session.execute(
            sa.update(Rsvp)
            .where(Rsvp.id == rsvp.id, Rsvp.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(claimed) == 1:
            _email(rsvp, f"Tomorrow: {rsvp.event.title}", "reminder")
            sent += 1
    return sent


@scheduled_job("event-reminders", every=dt.timedelta(minutes=10))
def send_reminders_job(now: dt.datetime) -> str:
    """Every 10 minutes: reminders for events starting within 24 hours."""
    return f"{send_reminders(now)} event reminders queued"


def purge_rsvps(now: dt.datetime) -> int:
    """Delete RSVPs never confirmed after 7 days, and all RSVPs 30 days after their event."""
    stale = db.session.scalars(
        sa.select(Rsvp)
        .join(Event, Event.id == Rsvp.event_id)
        .where(
            sa.or_(
                sa.and_(Rsvp.status == PENDING, Rsvp.created_at < now - UNCONFIRMED_KEPT),
                Event.ends_at < now - KEPT_AFTER_EVENT,
            )
        )
        .limit(5000)
    ).all()
    for rsvp in stale:
        delete_mail_to([rsvp.email])
        db.session.delete(rsvp)
    return len(stale)


@scheduled_job("erase-rsvps-after-close", every=dt.timedelta(hours=1))
def erase_rsvps_after_close_job(now: dt.datetime) -> str:
    """Once the closed campaign's date has come: every reply goes, with the mail to it.

    Published reports keep the names their people asked to have printed there.
    """
    if not anonymise_due(now):
        return "not due"
    rsvps = list(db.session.scalars(sa.select(Rsvp)))
    delete_mail_to([rsvp.email for rsvp in rsvps])
    for rsvp in rsvps:
        db.session.delete(rsvp)
    return f"{len(rsvps)} RSVPs erased after the campaign closed"


@scheduled_job("purge-rsvps", every=dt.timedelta(hours=1))
def purge_rsvps_job(now: dt.datetime) -> str:
    """Hourly: RSVP data kept no longer than the privacy notice says."""
    return f"{purge_rsvps(now)} RSVPs deleted"


def represented_group_ids(event: Event) -> list[int]:
    """Ids of the groups a report names as represented."""
    return list(
        db.session.scalars(
            sa.select(event_groups.c.group_id).where(event_groups.c.event_id == event.id)
        )
    )


def _rsvps_for_people(canonical: str) -> list[dict[str, str]]:
    return [
        {
            "Event": rsvp.event.title,
            "When": f"{utc_to_london(rsvp.event.starts_at):%d %B %Y, %H:%M}",
            "Name": rsvp.name,
            "Reply": rsvp.status,
            "Named in the report": "yes" if rsvp.name_me else "no",
        }
        for rsvp in rsvps_of_address(canonical)
    ]


register_holder(
    "events",
    Holder(label="Replies to events", find=_rsvps_for_people, erase=erase_rsvps_of_address),
)
