"""Group affiliations, their representatives and the history of their status."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.extensions import Model
from campaign.models import utcnow
from campaign.regions import NATIONAL, REGIONS

# slug -> (singular, plural), in the order the directory shows them.
GROUP_KINDS: dict[str, tuple[str, str]] = {
    "local-left-group": ("Local Labour left group", "local Labour left groups"),
    "momentum-branch": ("Momentum branch", "Momentum branches"),
    "clp": ("CLP or branch Labour Party", "CLPs and branch Labour Parties"),
    "trade-union": ("Trade union body", "trade union bodies"),
    "national-organisation": ("National organisation", "national organisations"),
    "other": ("Other", "other groups"),
}
# slug -> label, the 12 nations and regions first, then UK-wide bodies.
GROUP_REGIONS: dict[str, str] = {**REGIONS, NATIONAL: "National (UK-wide)"}

SUBMITTED, CONFIRMED, APPROVED, REJECTED, WITHDRAWN, REVOKED = (
    "submitted",
    "confirmed",
    "approved",
    "rejected",
    "withdrawn",
    "revoked",  # approved, then taken off the directory by the organisers (can be restored)
)
STATUSES = (SUBMITTED, CONFIRMED, APPROVED, REJECTED, WITHDRAWN, REVOKED)
MAX_REPRESENTATIVES = 3
MAX_FEE_PENCE = 10_000_000  # £100,000: a typing slip beyond this, never a real yearly fee


class Group(Model):
    """A group's affiliation: submitted → contact confirmed → approved or rejected."""

    __tablename__ = "groups"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('submitted', 'confirmed', 'approved', 'rejected', 'withdrawn', 'revoked')",
            name="status_known",
        ),
        sa.CheckConstraint(
            "kind IN ('local-left-group', 'momentum-branch', 'clp', 'trade-union', "
            "'national-organisation', 'other')",
            name="kind_known",
        ),
        sa.CheckConstraint("members IS NULL OR members >= 0", name="members_not_negative"),
        sa.CheckConstraint("fee_pence IS NULL OR fee_pence >= 0", name="fee_not_negative"),
        sa.Index("ix_groups_status_kind_region", "status", "kind", "region"),
        # The public directory lists approved groups in name order.
        sa.Index("ix_groups_status_name", "status", "name_normalised"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(150))
    name_normalised: Mapped[str] = mapped_column(sa.String(150), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    region: Mapped[str] = mapped_column(sa.String(20))  # a campaign.regions slug or "national"
    town: Mapped[str | None] = mapped_column(sa.String(100))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    contact_name: Mapped[str] = mapped_column(sa.String(100))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    contact_email_canonical: Mapped[str] = mapped_column(sa.String(254), index=True)
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    members: Mapped[int | None]
    decided_how: Mapped[str] = mapped_column(sa.String(500))
    statement: Mapped[str | None] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(12), default=SUBMITTED)
    rejection_reason: Mapped[str | None] = mapped_column(sa.String(500))
    decided_by: Mapped[str | None] = mapped_column(sa.String(254))  # organiser's e-mail
    decided_at: Mapped[dt.datetime | None]
    fee_pence: Mapped[int | None]  # national trade unions only
    fee_paid_at: Mapped[dt.datetime | None]
    duplicate_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="SET NULL")
    )
    duplicate_reason: Mapped[str | None] = mapped_column(sa.String(200))
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[dt.datetime | None]
    approved_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # National unions: the day the next yearly fee falls due (the fees-due list and reminders).
    fee_due_on: Mapped[dt.date | None] = mapped_column(index=True)

    representatives: Mapped[list[GroupRepresentative]] = relationship(
        back_populates="group",
        cascade="all, delete-orphan",
        order_by="GroupRepresentative.position",
    )
    events: Mapped[list[GroupEvent]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupEvent.id"
    )
    fee_payments: Mapped[list[GroupFeePayment]] = relationship(
        back_populates="group",
        cascade="all, delete-orphan",
        order_by="(GroupFeePayment.paid_on.desc(), GroupFeePayment.id.desc())",
    )

    @property
    def kind_label(self) -> str:
        return GROUP_KINDS[self.kind][0]

    @property
    def region_label(self) -> str:
        """The region's display name ("National (UK-wide)" for national bodies)."""
        return GROUP_REGIONS.get(self.region, "")

    @property
    def area(self) -> str:
        """Town and region as the directory shows them, e.g. "Leeds, Yorkshire and the Humber"."""
        region = "UK-wide" if self.region == NATIONAL else self.region_label
        return ", ".join(part for part in (self.town, region) if part)

    @property
    def fee_paid_on(self) -> dt.date | None:
        """The day the affiliation fee was paid, as the organisers recorded it."""
        return self.fee_paid_at.date() if self.fee_paid_at else None

    @property
    def is_national_union(self) -> bool:
        """National trade unions pay the affiliation fee."""
        return self.kind == "trade-union" and self.region == NATIONAL


class GroupRepresentative(Model):
    """One of up to three people a group sends to the organising group."""

    __tablename__ = "group_representatives"
    __table_args__ = (
        sa.UniqueConstraint("group_id", "position", name="uq_group_representatives_position"),
        sa.CheckConstraint("position BETWEEN 1 AND 3", name="position_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(254))

    group: Mapped[Group] = relationship(back_populates="representatives")


class GroupEvent(Model):
    """One step in a group's history: who moved it to which status, when, and why."""

    __tablename__ = "group_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(12))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    by: Mapped[str | None] = mapped_column(sa.String(254))  # organiser's e-mail; None = public
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship(back_populates="events")


class GroupFeePayment(Model):
    """A payment of a national union's affiliation fee, as an organiser recorded it."""

    __tablename__ = "group_fee_payments"
    __table_args__ = (
        sa.CheckConstraint(
            f"amount_pence > 0 AND amount_pence <= {MAX_FEE_PENCE}", name="amount_in_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    paid_on: Mapped[dt.date]
    amount_pence: Mapped[int]
    reference: Mapped[str | None] = mapped_column(sa.String(100))
    recorded_by: Mapped[str] = mapped_column(sa.String(254))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship(back_populates="fee_payments")


class FeeReminder(Model):
    """A fee reminder sent for one due date: the unique key makes it go out once, however
    many workers look for due fees at the same time."""

    __tablename__ = "group_fee_reminders"
    __table_args__ = (sa.UniqueConstraint("group_id", "due_on", name="uq_fee_reminder_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id", ondelete="CASCADE"))
    due_on: Mapped[dt.date]
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
