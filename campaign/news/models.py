"""News posts written in the organisers' room (the files in content/news/ are the seed)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model
from campaign.models import utcnow

DRAFT, PUBLISHED = "draft", "published"
SLUG_MAX, TITLE_MAX, AUTHOR_MAX, SUMMARY_MAX = 100, 200, 100, 400


class RoomPost(Model):
    """A statement or news post. Public once `published` and `publish_at` has come."""

    __tablename__ = "news_posts"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'published')", name="status_known"),
        sa.CheckConstraint(
            "status <> 'published' OR publish_at IS NOT NULL", name="published_has_time"
        ),
        sa.Index("ix_news_posts_status_publish_at", "status", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX), unique=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    author: Mapped[str] = mapped_column(sa.String(AUTHOR_MAX))
    summary: Mapped[str] = mapped_column(sa.String(SUMMARY_MAX))
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)  # rendered and sanitised when saved
    status: Mapped[str] = mapped_column(sa.String(10), default=DRAFT)
    publish_at: Mapped[dt.datetime | None]  # UTC; in the future = scheduled
    created_by: Mapped[str] = mapped_column(sa.String(254))
    updated_by: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
