"""The room's news pages (write, preview, publish, schedule) and the public Atom feed."""

from __future__ import annotations

from functools import partial

from flask import Response, flash, make_response, render_template, request, url_for
from flask_login import current_user
from markupsafe import escape
from werkzeug.wrappers import Response as BaseResponse

from campaign.bulletins.forms import utc_to_local
from campaign.bulletins.services import BulletinRefused
from campaign.extensions import db
from campaign.forms import ButtonForm, first_error
from campaign.htmx import is_htmx, navigate, render_page_or_fragment
from campaign.markdown_editor import editor_page, save_draft
from campaign.news.blueprint import bp
from campaign.news.forms import PostForm, PublishForm
from campaign.news.models import RoomPost
from campaign.news.services import (
    PostRefused,
    create_post,
    mail_as_bulletin,
    publish_post,
    published_posts,
    room_posts,
    unpublish_post,
    update_post,
)
from campaign.organisers.access import PUBLIC, allow, guard_organiser_room
from campaign.organisers.audit import record_audit
from campaign.organisers.models import ORGANISER
from campaign.urls import external_url

bp.before_request(guard_organiser_room)

ROOM = "/organisers/news"
FEED_ENTRIES = 20


def _edit_page(
    post: RoomPost | None,
    form: PostForm,
    status: int = 200,
    *,
    show_preview: bool = False,
    message: str | None = None,
    publish_form: PublishForm | None = None,
    publish_error: str | None = None,
) -> Response:
    return editor_page(
        "news/edit.html",
        "news/_form.html",
        status,
        form,
        form.title.data,
        show_preview,
        post=post,
        message=message,
        publish_form=publish_form or PublishForm(formdata=None),
        publish_error=publish_error,
        local=utc_to_local,
    )


def _filled_form(post: RoomPost) -> PostForm:
    return PostForm(
        formdata=None,
        title=post.title,
        slug=post.slug,
        author=post.author,
        summary=post.summary,
        tags=", ".join(post.tags or ()),
        body=post.body_markdown,
    )


@bp.get(ROOM)
@allow(ORGANISER)
def index() -> str:
    posts = list(db.session.scalars(room_posts().limit(300)))
    return render_template("news/index.html", posts=posts, local=utc_to_local)


def _save(post: RoomPost | None) -> BaseResponse:
    form = PostForm()

    def store() -> str:
        saved = post
        if saved is None:
            saved = create_post(form.draft(form.slug_or_title()), by=current_user.email)
        else:
            update_post(saved, form.draft(saved.slug), by=current_user.email)
        return url_for("news.post", post_id=saved.id)

    return save_draft(
        form, partial(_edit_page, post), store, PostRefused, 422, "The post is saved."
    )


@bp.route(f"{ROOM}/new", methods=["GET", "POST"])
@allow(ORGANISER)
def new() -> BaseResponse:
    if request.method == "POST":
        return _save(None)
    return _edit_page(None, PostForm(author=current_user.name))


@bp.route(f"{ROOM}/<int:post_id>", methods=["GET", "POST"])
@allow(ORGANISER)
def post(post_id: int) -> BaseResponse:
    item = db.get_or_404(RoomPost, post_id)
    if request.method == "POST":
        return _save(item)
    return _edit_page(item, _filled_form(item), show_preview=True)


@bp.post(f"{ROOM}/<int:post_id>/publish")
@allow(ORGANISER)
def publish(post_id: int) -> BaseResponse:
    item = db.get_or_404(RoomPost, post_id)
    form = PublishForm()
    if not form.validate():
        return _publish_refused(item, form, first_error(form))
    try:
        at = publish_post(item, form.send_at_utc())
        record_audit(
            "news.published", current_user.email, target=f"news:{item.slug}",
            title=item.title, publish_at=at,
        )  # fmt: skip
        if form.as_bulletin.data:
            bulletin, size = mail_as_bulletin(item, by=current_user.email)
            record_audit(
                "bulletin.scheduled" if bulletin.status == "scheduled" else "bulletin.sent",
                current_user.email,
                target=f"bulletin:{bulletin.id}",
                subject=bulletin.subject,
                audience=size,
                news=item.slug,
            )
    except (PostRefused, BulletinRefused) as exc:
        db.session.rollback()  # neither the post nor a bulletin changes
        return _publish_refused(db.get_or_404(RoomPost, post_id), form, str(exc), 409)
    db.session.commit()
    when = (
        "now" if form.when.data == "now" else f"on {utc_to_local(at):%d %B %Y at %H:%M} (UK time)"
    )
    also = " It goes out as a bulletin too." if form.as_bulletin.data else ""
    flash(f"The post is published {when}.{also}", "info")
    return navigate(url_for("news.post", post_id=item.id))


def _publish_refused(
    item: RoomPost, form: PublishForm, message: str, status: int = 422
) -> BaseResponse:
    if is_htmx():
        return render_page_or_fragment(
            "news/_publish.html", "news/_publish.html", status,
            post=item, publish_form=form, publish_error=message, local=utc_to_local,
        )  # fmt: skip
    return _edit_page(
        item, _filled_form(item), status, show_preview=True, publish_form=form,
        publish_error=message,
    )  # fmt: skip


@bp.post(f"{ROOM}/<int:post_id>/unpublish")
@allow(ORGANISER)
def unpublish(post_id: int) -> BaseResponse:
    item = db.get_or_404(RoomPost, post_id)
    ButtonForm()
    unpublish_post(item)
    record_audit("news.unpublished", current_user.email, target=f"news:{item.slug}",
                 title=item.title)  # fmt: skip
    db.session.commit()
    flash("The post is a draft again and no longer on the site.", "info")
    return navigate(url_for("news.post", post_id=item.id))


# --- the feed --------------------------------------------------------------------------


@bp.get("/news/feed.xml")
@allow(PUBLIC)
def feed() -> Response:
    posts = published_posts(limit=FEED_ENTRIES)
    entries = [
        {
            "post": p,
            "url": external_url("programme.news_post", slug=p.slug),
            # type="html": the post's HTML travels escaped inside the XML.
            "content": escape(str.__str__(p.html)),
        }
        for p in posts
    ]
    body = render_template(
        "news/feed.xml",
        entries=entries,
        updated=max((p.published for p in posts), default=None),
        feed_url=external_url("news.feed"),
        news_url=external_url("programme.news_index"),
    )
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
