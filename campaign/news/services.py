"""News: posts from the room merged with the files in content/news/, newest first.

Every public list (home, /news, tag pages, the feed) comes from `published_posts`, so a
post appears everywhere at once, and a scheduled one nowhere before its time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup

from campaign.bulletins.models import Bulletin
from campaign.bulletins.services import BulletinDraft, create_bulletin, send_bulletin
from campaign.content import NewsPost, current_content
from campaign.extensions import db
from campaign.models import utcnow
from campaign.news.models import DRAFT, PUBLISHED, RoomPost
from campaign.safe_markdown import refuse_unwritten, render_markdown
from campaign.urls import external_url


class PostRefused(ValueError):
    """The post cannot be saved or published as asked; the message says why."""


@dataclass(frozen=True)
class PostDraft:
    """What the post form collects, validated and cleaned."""

    slug: str
    title: str
    author: str
    summary: str
    tags: tuple[str, ...]
    body_markdown: str


# --- reading ---------------------------------------------------------------------------


def as_news_post(post: RoomPost) -> NewsPost:
    """A post from the room in the shape the news pages show."""
    assert post.publish_at is not None
    return NewsPost(
        slug=post.slug,
        title=post.title,
        standfirst=post.summary,
        author=post.author,
        date=post.publish_at.date(),
        tags=tuple(post.tags or ()),
        html=Markup(post.body_html),  # noqa: S704 (sanitised with nh3 when saved)
        published_at=post.publish_at,
    )


def _visible(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(RoomPost.status == PUBLISHED, RoomPost.publish_at <= now)


def published_posts(now: dt.datetime | None = None, limit: int | None = None) -> list[NewsPost]:
    """Every public post, from the files and from the room, newest first."""
    now = now or utcnow()
    query = sa.select(RoomPost).where(_visible(now)).order_by(RoomPost.publish_at.desc())
    if limit is not None:
        query = query.limit(limit)
    room = [as_news_post(p) for p in db.session.scalars(query)]
    files = current_content().news
    merged = sorted(
        [*room, *(files[:limit] if limit is not None else files)],
        key=lambda p: (p.published, p.slug),
        reverse=True,
    )
    return merged[:limit] if limit is not None else merged


def tagged_posts(tag: str, now: dt.datetime | None = None) -> list[NewsPost]:
    """Public posts carrying `tag`, newest first."""
    return [p for p in published_posts(now) if tag in p.tags]


def public_post(slug: str, now: dt.datetime | None = None) -> NewsPost | None:
    """The public post with this slug, or None (drafts and scheduled posts are not public)."""
    post = db.session.scalar(
        sa.select(RoomPost).where(RoomPost.slug == slug, _visible(now or utcnow()))
    )
    if post is not None:
        return as_news_post(post)
    return current_content().post(slug)


def room_posts() -> sa.Select[RoomPost]:
    """Every post written in the room, newest first, for the organisers' list."""
    return sa.select(RoomPost).order_by(RoomPost.updated_at.desc(), RoomPost.id.desc())


# --- writing ---------------------------------------------------------------------------


def slug_taken(slug: str, except_id: int | None = None) -> bool:
    """Whether a post (a file or one from the room) already has this address."""
    if current_content().post(slug) is not None:
        return True
    query = sa.select(RoomPost.id).where(RoomPost.slug == slug)
    if except_id is not None:
        query = query.where(RoomPost.id != except_id)
    return db.session.scalar(query) is not None


def _check(draft: PostDraft) -> None:
    message = "A post needs a title, a summary and a body."
    refuse_unwritten(PostRefused, message, draft.body_markdown, draft.title, draft.summary)


def create_post(draft: PostDraft, by: str) -> RoomPost:
    """A new draft post; refused if its slug is taken (the caller commits)."""
    _check(draft)
    if slug_taken(draft.slug):
        raise PostRefused(f"A post at /news/{draft.slug} exists already: choose another address.")
    post = RoomPost(
        slug=draft.slug,
        title=draft.title,
        author=draft.author,
        summary=draft.summary,
        tags=list(draft.tags),
        body_markdown=draft.body_markdown,
        body_html=str(render_markdown(draft.body_markdown)),
        status=DRAFT,
        created_by=by,
        updated_by=by,
    )
    db.session.add(post)
    try:
        db.session.flush()  # the unique slug, checked by the database as well
    except sa.exc.IntegrityError as exc:
        raise PostRefused(
            f"A post at /news/{draft.slug} exists already: choose another address."
        ) from exc
    return post


def update_post(post: RoomPost, draft: PostDraft, by: str) -> None:
    """Change a post's words (its address stays: links to it must keep working)."""
    _check(draft)
    post.title = draft.title
    post.author = draft.author
    post.summary = draft.summary
    post.tags = list(draft.tags)
    post.body_markdown = draft.body_markdown
    post.body_html = str(render_markdown(draft.body_markdown))
    post.updated_by = by
    post.updated_at = utcnow()


def publish_post(post: RoomPost, at: dt.datetime | None = None) -> dt.datetime:
    """Publish now (at=None) or at a future time (UTC); returns when it appears."""
    now = utcnow()
    if at is not None and at <= now:
        raise PostRefused("Choose a time in the future to schedule the post.")
    post.status = PUBLISHED
    post.publish_at = at or now
    post.updated_at = now
    return post.publish_at


def unpublish_post(post: RoomPost) -> None:
    """Take a post (or its schedule) back to a draft."""
    post.status = DRAFT
    post.publish_at = None
    post.updated_at = utcnow()


def mail_as_bulletin(post: RoomPost, by: str) -> tuple[Bulletin, int]:
    """Make a bulletin of the post, sent when the post appears; (bulletin, audience size)."""
    url = external_url("programme.news_post", slug=post.slug)
    body = f"{post.summary}\n\n{post.body_markdown}\n\n[Read it on our site]({url})"
    bulletin = create_bulletin(BulletinDraft(subject=post.title, body_markdown=body), by=by)
    now = utcnow()
    at = post.publish_at if post.publish_at and post.publish_at > now else None
    return bulletin, send_bulletin(bulletin, by=by, at=at)
