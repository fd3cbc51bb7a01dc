"""The outbox table: one row per e-mail, written with the change that caused it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model
from campaign.models import utcnow

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
# Two lanes: messages someone is waiting for (confirmations, replies) go first; bulk mail
# (bulletins) only when that lane is empty, and at the configured rate.
PRIORITY, BULK = "priority", "bulk"


class OutboxMessage(Model):
    __tablename__ = "outbox"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed')", name="status_known"
        ),
        sa.CheckConstraint("lane IN ('priority', 'bulk')", name="lane_known"),
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_lane_due", "lane", "status", "next_attempt_at"),
        sa.Index("ix_outbox_lane_sent", "lane", "sent_at"),
        sa.Index("ix_outbox_recipient_created", "recipient", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(200))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    headers: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default=QUEUED)
    lane: Mapped[str] = mapped_column(sa.String(10), default=PRIORITY, server_default=PRIORITY)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
