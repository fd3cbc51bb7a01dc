"""Meetings: events, the RSVPs people make to them, and the reports of what they decided."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.extensions import Model, db
from campaign.models import utcnow

# slug -> label, in the order the filters show them.
EVENT_KINDS: dict[str, str] = {
    "national": "National",
    "local": "Local group",
    "online": "Online",
}
PROPOSED, PUBLISHED, DECLINED, CANCELLED = "proposed", "published", "declined", "cancelled"
EVENT_STATUSES = (PROPOSED, PUBLISHED, DECLINED, CANCELLED)
MIN_CAPACITY, MAX_CAPACITY = 1, 5000

PENDING, GOING, WAITING, RSVP_CANCELLED = "pending", "going", "waiting", "cancelled"
RSVP_STATUSES = (PENDING, GOING, WAITING, RSVP_CANCELLED)


def new_uid() -> str:
    """A calendar UID: random, and kept for the event's life so calendars update, not duplicate."""
    return f"{uuid.uuid4().hex}@events"


def new_code() -> str:
    """A random code binding an RSVP's links to its row (erasing the row revokes them)."""
    return secrets.token_urlsafe(12)


# Which affiliated groups were represented at an event (its report says so).
event_groups = sa.Table(
    "event_groups",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_id", sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class Event(Model):
    """A meeting: national, a local group's, or online; proposed, published or cancelled."""

    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            f"capacity BETWEEN {MIN_CAPACITY} AND {MAX_CAPACITY}", name="capacity_sensible"
        ),
        sa.CheckConstraint("kind IN ('national', 'local', 'online')", name="kind_known"),
        sa.CheckConstraint(
            "status IN ('proposed', 'published', 'declined', 'cancelled')", name="status_known"
        ),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        # The public list: published and cancelled events by date.
        sa.Index("ix_events_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    uid: Mapped[str] = mapped_column(sa.String(80), unique=True, default=new_uid)
    sequence: Mapped[int] = mapped_column(default=0)  # RFC 5545: bumped by every change
    title: Mapped[str] = mapped_column(sa.String(150))
    kind: Mapped[str] = mapped_column(sa.String(10))
    region: Mapped[str | None] = mapped_column(sa.String(20))  # campaign.regions slug
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[dt.datetime]  # UTC, naive, like every stored time
    ends_at: Mapped[dt.datetime]
    venue: Mapped[str | None] = mapped_column(sa.String(300))  # in person: shown to all
    online_url: Mapped[str | None] = mapped_column(sa.String(500))  # sent only to RSVPs
    agenda: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    capacity: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(10), default=PUBLISHED)
    proposed_by: Mapped[str | None] = mapped_column(sa.String(254))  # group contact's e-mail
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    report: Mapped[str | None] = mapped_column(sa.Text)  # Markdown: what was decided
    report_published_at: Mapped[dt.datetime | None]
    # Copied when the report is published: names of attendees who asked to be named.
    named_attendees: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    group = relationship("Group", lazy="joined")
    motions: Mapped[list[Motion]] = relationship(
        back_populates="event", order_by="Motion.position", cascade="all, delete-orphan"
    )
    represented_groups = relationship("Group", secondary=event_groups, order_by="Group.name")

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED


class Rsvp(Model):
    """Someone's place at an event: pending until confirmed by e-mail, then going or waiting."""

    __tablename__ = "rsvps"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "email_canonical", name="one_per_person"),
        sa.CheckConstraint(
            "status IN ('pending', 'going', 'waiting', 'cancelled')", name="status_known"
        ),
        # "N going" and the waiting list, in the order places were asked for.
        sa.Index("ix_rsvps_event_status_confirmed", "event_id", "status", "confirmed_at"),
        sa.Index("ix_rsvps_email_canonical", "email_canonical"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(24), unique=True, default=new_code)
    email: Mapped[str] = mapped_column(sa.String(254))
    email_canonical: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(100))
    name_me: Mapped[bool] = mapped_column(default=False)  # "name me as present" in the report
    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    confirmed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    checked_in_at: Mapped[dt.datetime | None]
    mails_this_hour: Mapped[int] = mapped_column(default=0)
    mail_hour_started_at: Mapped[dt.datetime | None]

    event: Mapped[Event] = relationship(lazy="joined")


class Motion(Model):
    """A motion put to an event, with the votes for, against and abstaining."""

    __tablename__ = "event_motions"
    __table_args__ = (
        sa.CheckConstraint(
            "votes_for >= 0 AND votes_against >= 0 AND abstentions >= 0", name="votes_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(300))
    votes_for: Mapped[int] = mapped_column(default=0)
    votes_against: Mapped[int] = mapped_column(default=0)
    abstentions: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="motions")

    @property
    def carried(self) -> bool:
        return self.votes_for > self.votes_against


def as_dict(rsvp: Rsvp) -> dict[str, Any]:
    """What we hold about one RSVP, as my-data and exports show it."""
    return {
        "event": rsvp.event.title,
        "name": rsvp.name,
        "email": rsvp.email,
        "status": rsvp.status,
        "name_me": rsvp.name_me,
        "asked_at": rsvp.created_at,
        "confirmed_at": rsvp.confirmed_at,
        "checked_in_at": rsvp.checked_in_at,
    }
