"""Signatures gathered on paper: one batch per meeting or stall, counted beside the online ones."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.events.models import Event
from campaign.extensions import Model
from campaign.groups.models import Group
from campaign.models import utcnow

COUNTED, WITHDRAWN = "counted", "withdrawn"
# A big rally fills a few thousand forms; more in one batch is a typing slip (10 million).
MAX_BATCH_COUNT = 20_000


class PaperBatch(Model):
    """Paper signatures from one occasion: when, where, which group, how many."""

    __tablename__ = "paper_batches"
    __table_args__ = (
        sa.CheckConstraint(
            f"signatures BETWEEN 1 AND {MAX_BATCH_COUNT}", name="signatures_in_range"
        ),
        sa.CheckConstraint("status IN ('counted', 'withdrawn')", name="status_known"),
        sa.Index("ix_paper_batches_status_collected_on", "status", "collected_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collected_on: Mapped[dt.date]
    place: Mapped[str] = mapped_column(sa.String(150))
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="SET NULL"), index=True
    )
    # The meeting the forms were signed at, if any (an event's paper sign-ups).
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    signatures: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(10), default=COUNTED)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    created_by: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.String(500))
    withdrawn_by: Mapped[str | None] = mapped_column(sa.String(254))
    withdrawn_at: Mapped[dt.datetime | None]

    group: Mapped[Group | None] = relationship()
    event: Mapped[Event | None] = relationship()

    @property
    def counted(self) -> bool:
        return self.status == COUNTED


class PaperSupporter(Model):
    """A supporter row that a paper form created, because its signer consented on paper."""

    __tablename__ = "paper_supporters"

    supporter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("supporters.id", ondelete="CASCADE"), primary_key=True
    )
    batch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("paper_batches.id", ondelete="CASCADE"), index=True
    )
