"""Home, programme, news, privacy and the health check."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, make_response, render_template, request
from flask.typing import ResponseReturnValue

from campaign.content import current_content
from campaign.crowdcache import crowd_cached
from campaign.extensions import db
from campaign.news.services import public_post, published_posts, tagged_posts
from campaign.programme.blueprint import bp
from campaign.ratelimit import redis_reachable


@bp.get("/")
@crowd_cached
def home() -> ResponseReturnValue:
    content = current_content()
    return render_template(
        "programme/home.html",
        programme=content.programme,
        appeal=content.appeal,
        latest_news=published_posts(limit=3),
    )


@bp.get("/programme")
@crowd_cached
def programme() -> ResponseReturnValue:
    return render_template("programme/programme.html", programme=current_content().programme)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 10_000:
        abort(404)
    return int(raw)


@bp.get("/news")
def news_index() -> ResponseReturnValue:
    return _news_list(published_posts(), tag=None)


@bp.get("/news/tag/<tag>")
def news_tag(tag: str) -> ResponseReturnValue:
    posts = tagged_posts(tag)
    if not posts:
        abort(404)
    return _news_list(posts, tag=tag)


def _news_list(posts: list[Any], tag: str | None) -> str:

    per_page = current_app.config["NEWS_PER_PAGE"]
    page = _page_number()
    pages = max(1, -(-len(posts) // per_page))
    if page > pages:
        abort(404)
    shown = posts[(page - 1) * per_page : page * per_page]
    return render_template(
        "programme/news_index.html", posts=shown, tag=tag, page=page, pages=pages
    )


@bp.get("/news/<slug>")
def news_post(slug: str) -> ResponseReturnValue:
    post = public_post(slug)
    if post is None:
        abort(404)
    return render_template("programme/news_post.html", post=post)


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    return render_template("programme/privacy.html", page=current_content().privacy)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """ok (200), or 503 naming each part that is down or degraded."""
    parts = {"database": "ok"}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        parts["database"] = "unreachable"
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        # Without Redis the site keeps working (limits count in the database, counters
        # read the tallies) but is slower and shares less: degraded, worth an alarm.
        parts["redis"] = "ok" if redis_reachable(redis_url) else "unreachable"
    failing = sorted(name for name, state in parts.items() if state != "ok")
    if not failing:
        return {"status": "ok", **parts}
    status = "error" if "database" in failing else "degraded"
    return {"status": status, "failing": failing, **parts}, 503


@bp.get("/colours.css")
def colours() -> ResponseReturnValue:
    """The campaign's colours from campaign.toml as CSS custom properties."""
    palette = current_content().campaign.get("colours", {})
    body = ":root {\n" + "".join(f"  --{k.replace('_', '-')}: {v};\n" for k, v in palette.items())
    response = make_response(body + "}\n")
    response.mimetype = "text/css"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response
