"""The bulletin pages: writing, preview, audience, test, send and progress; the archive."""

from __future__ import annotations

from functools import partial

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from campaign.bulletins.blueprint import bp
from campaign.bulletins.forms import (
    AudienceForm,
    BulletinForm,
    SendForm,
    utc_to_local,
)
from campaign.bulletins.models import DRAFT, Bulletin
from campaign.bulletins.services import (
    BulletinRefused,
    archive,
    archived_bulletin,
    bulletins_newest_first,
    cancel_schedule,
    count_audience,
    create_bulletin,
    progress,
    send_bulletin,
    send_test,
    update_bulletin,
)
from campaign.extensions import db, limiter
from campaign.forms import ButtonForm, first_error
from campaign.htmx import is_htmx, navigate, render_page_or_fragment
from campaign.markdown_editor import editor_page, save_draft
from campaign.organisers.access import PUBLIC, allow, guard_organiser_room
from campaign.organisers.audit import record_audit
from campaign.organisers.models import ORGANISER
from campaign.regions import region_name
from campaign.safe_markdown import render_parts

bp.before_request(guard_organiser_room)

ROOM = "/organisers/bulletins"


def _bulletin(bulletin_id: int) -> Bulletin:
    return db.get_or_404(Bulletin, bulletin_id)


def _audience_words(region: str | None, member: str | None) -> str:
    parts = ["confirmed bulletin subscribers"]
    if region:
        parts.append(f"in {region_name(region)}")
    if member:
        parts.append({"yes": "who are Labour members", "no": "who are not Labour members",
                      "lapsed": "whose membership lapsed or was ended"}[member])  # fmt: skip
    return " ".join(parts)


def _edit_page(
    bulletin: Bulletin | None,
    form: BulletinForm,
    status: int = 200,
    *,
    show_preview: bool = False,
    message: str | None = None,
    send_form: SendForm | None = None,
    send_error: str | None = None,
) -> Response:
    region = form.region.data or None
    member = form.labour_member.data or None
    return editor_page(
        "bulletins/edit.html",
        "bulletins/_form.html",
        status,
        form,
        form.subject.data,
        show_preview,
        bulletin=bulletin,
        message=message,
        audience=count_audience(region, member),
        audience_words=_audience_words(region, member),
        send_form=send_form or SendForm(formdata=None),
        send_error=send_error,
    )


def _filled_form(item: Bulletin) -> BulletinForm:
    return BulletinForm(
        formdata=None,
        subject=item.subject,
        body=item.body_markdown,
        region=item.region or "",
        labour_member=item.labour_member or "",
        private=item.private,
    )


# --- the room --------------------------------------------------------------------------


@bp.get(ROOM)
@allow(ORGANISER)
def index() -> str:
    bulletins = list(db.session.scalars(bulletins_newest_first().limit(200)))
    return render_template("bulletins/index.html", bulletins=bulletins, local=utc_to_local)


def _save(bulletin: Bulletin | None) -> BaseResponse:
    form = BulletinForm()

    def store() -> str:
        saved = bulletin
        if saved is None:
            saved = create_bulletin(form.draft(), by=current_user.email)
        else:
            update_bulletin(saved, form.draft())
        return url_for("bulletins.bulletin", bulletin_id=saved.id)

    page = partial(_edit_page, bulletin)
    return save_draft(
        form, page, store, BulletinRefused, 409 if bulletin else 422, "The draft is saved."
    )


@bp.route(f"{ROOM}/new", methods=["GET", "POST"])
@allow(ORGANISER)
def new() -> BaseResponse:
    if request.method == "POST":
        return _save(None)
    return _edit_page(None, BulletinForm())


@bp.route(f"{ROOM}/<int:bulletin_id>", methods=["GET", "POST"])
@allow(ORGANISER)
def bulletin(bulletin_id: int) -> BaseResponse | str:
    item = _bulletin(bulletin_id)
    if request.method == "POST":
        return _save(item)
    if item.status == DRAFT:
        form = _filled_form(item)
        return _edit_page(item, form, show_preview=True)
    return render_template(
        "bulletins/show.html",
        bulletin=item,
        rendered=render_parts(item.body_markdown),
        progress=progress(item),
        audience_words=_audience_words(item.region, item.labour_member),
        button=ButtonForm(formdata=None),
        local=utc_to_local,
    )


@bp.get(f"{ROOM}/audience")
@allow(ORGANISER)
def audience() -> Response:
    form = AudienceForm(formdata=request.args)
    if not form.validate():
        return render_page_or_fragment(
            "bulletins/audience.html", "bulletins/_audience.html", 400,
            audience=None, audience_error=first_error(form),
        )  # fmt: skip
    region = form.region.data or None
    member = form.labour_member.data or None
    return render_page_or_fragment(
        "bulletins/audience.html",
        "bulletins/_audience.html",
        audience=count_audience(region, member),
        audience_words=_audience_words(region, member),
    )


@bp.post(f"{ROOM}/<int:bulletin_id>/test")
@allow(ORGANISER)
@limiter.limit("20/hour")
def test(bulletin_id: int) -> BaseResponse:
    item = _bulletin(bulletin_id)
    ButtonForm()  # CSRF is checked for every POST by CSRFProtect
    send_test(item, current_user.email)
    db.session.commit()
    flash(f"A test copy is on its way to {current_user.email}.", "info")
    return navigate(url_for("bulletins.bulletin", bulletin_id=item.id))


@bp.post(f"{ROOM}/<int:bulletin_id>/send")
@allow(ORGANISER)
def send(bulletin_id: int) -> BaseResponse:
    item = _bulletin(bulletin_id)
    form = SendForm()
    if not form.validate():
        return _send_refused(item, first_error(form), 422)
    at = form.send_at_utc()
    try:
        size = send_bulletin(item, by=current_user.email, at=at)
    except BulletinRefused as exc:
        db.session.rollback()
        return _send_refused(db.session.get(Bulletin, bulletin_id), str(exc), 409)
    record_audit(
        "bulletin.scheduled" if at else "bulletin.sent",
        current_user.email,
        target=f"bulletin:{item.id}",
        subject=item.subject,
        audience=size,
        region=item.region,
        labour_member=item.labour_member,
        send_at=at,
    )
    db.session.commit()
    if at:
        flash(f"Scheduled for {utc_to_local(at):%d %B %Y at %H:%M} (UK time), to {size:,} people.",
              "info")  # fmt: skip
    else:
        flash(f"Sending to {size:,} people.", "info")
    return navigate(url_for("bulletins.bulletin", bulletin_id=item.id))


def _send_refused(item: Bulletin | None, message: str, status: int) -> BaseResponse:
    if item is None:
        abort(404)
    if is_htmx():
        return render_page_or_fragment(
            "bulletins/_send.html", "bulletins/_send.html", status,
            bulletin=item, send_form=SendForm(), send_error=message,
        )  # fmt: skip
    if item.status != DRAFT:
        flash(message, "error")
        return redirect(url_for("bulletins.bulletin", bulletin_id=item.id))
    form = _filled_form(item)
    return _edit_page(
        item, form, status, show_preview=True, send_form=SendForm(), send_error=message
    )


@bp.post(f"{ROOM}/<int:bulletin_id>/cancel")
@allow(ORGANISER)
def cancel(bulletin_id: int) -> BaseResponse:
    item = _bulletin(bulletin_id)
    ButtonForm()
    try:
        cancel_schedule(item)
    except BulletinRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("bulletins.bulletin", bulletin_id=bulletin_id))
    record_audit("bulletin.cancelled", current_user.email, target=f"bulletin:{item.id}",
                 subject=item.subject)  # fmt: skip
    db.session.commit()
    flash("The schedule is cancelled; the bulletin is a draft again.", "info")
    return navigate(url_for("bulletins.bulletin", bulletin_id=item.id))


@bp.get(f"{ROOM}/<int:bulletin_id>/progress")
@allow(ORGANISER)
def bulletin_progress(bulletin_id: int) -> Response:
    item = _bulletin(bulletin_id)
    return render_page_or_fragment(
        "bulletins/progress.html", "bulletins/_progress.html",
        bulletin=item, progress=progress(item), local=utc_to_local,
    )  # fmt: skip


# --- the public archive ----------------------------------------------------------------


@bp.get("/bulletins")
@allow(PUBLIC)
def archive_index() -> str:
    bulletins = list(db.session.scalars(archive().limit(500)))
    return render_template("bulletins/archive.html", bulletins=bulletins)


@bp.get("/bulletins/<int:bulletin_id>")
@allow(PUBLIC)
def archive_post(bulletin_id: int) -> str:
    item = archived_bulletin(bulletin_id)
    if item is None:
        abort(404)
    return render_template(
        "bulletins/archive_post.html", bulletin=item, rendered=render_parts(item.body_markdown)
    )
