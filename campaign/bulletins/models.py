"""A bulletin (one e-mail to the subscribers) and its deliveries (one row per recipient)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model
from campaign.models import utcnow

DRAFT, SCHEDULED, SENDING, SENT = "draft", "scheduled", "sending", "sent"
SUBJECT_MAX = 150


class Bulletin(Model):
    """One bulletin: written as a draft, then scheduled or sent to its audience.

    `sending` means the audience is being expanded into deliveries (outbox rows);
    `sent` that every delivery has been queued (the outbox may still be sending them).
    """

    __tablename__ = "bulletins"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'sent')", name="status_known"
        ),
        sa.CheckConstraint(
            "status <> 'scheduled' OR send_at IS NOT NULL", name="scheduled_has_time"
        ),
        sa.CheckConstraint(
            "labour_member IS NULL OR labour_member IN ('yes', 'no', 'lapsed')",
            name="labour_member_known",
        ),
        sa.Index("ix_bulletins_status_send_at", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(SUBJECT_MAX))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    # The audience: confirmed bulletin subscribers, optionally of one region / member status.
    region: Mapped[str | None] = mapped_column(sa.String(20))
    labour_member: Mapped[str | None] = mapped_column(sa.String(10))
    private: Mapped[bool] = mapped_column(default=False)  # kept out of the public archive
    status: Mapped[str] = mapped_column(sa.String(10), default=DRAFT)
    send_at: Mapped[dt.datetime | None]  # when scheduled (UTC)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]  # every delivery queued
    audience_size: Mapped[int | None]  # counted when the organiser pressed send
    # Expansion walks the audience by supporter id; rows up to here have deliveries.
    expanded_through: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # One process expands a bulletin at a time; a dead one's lease simply runs out.
    lease_until: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(sa.String(254))
    sent_by: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def editable(self) -> bool:
        return self.status == DRAFT


class BulletinDelivery(Model):
    """One supporter's copy of one bulletin. The unique pair makes a second copy impossible,
    whatever the workers do; erasing the supporter deletes the row with them."""

    __tablename__ = "bulletin_deliveries"
    __table_args__ = (
        sa.UniqueConstraint(
            "bulletin_id", "supporter_id", name="uq_bulletin_deliveries_one_per_person"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bulletins.id", ondelete="CASCADE"), index=True
    )
    supporter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("supporters.id", ondelete="CASCADE"), index=True
    )
    # The outbox row that carries it; NULL once the sent message has been purged.
    outbox_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox.id", ondelete="SET NULL"), index=True
    )
    queued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
