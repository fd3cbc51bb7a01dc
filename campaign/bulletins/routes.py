"""The bulletin pages: writing, preview, audience, test, send and progress; the archive."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from campaign.bulletins import bp
from campaign.bulletins.forms import (
    AudienceForm,
    BulletinForm,
    PreviewForm,
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
    render_bulletin,
    send_bulletin,
    send_test,
    update_bulletin,
)
from campaign.extensions import db, limiter
from campaign.forms import ButtonForm, clean_line
from campaign.htmx import is_htmx, render_page_or_fragment
from campaign.organisers.access import PUBLIC, allow, guard_organiser_room
from campaign.organisers.audit import record_audit
from campaign.organisers.models import ORGANISER
from campaign.regions import region_name

bp.before_request(guard_organiser_room)

ROOM = "/organisers/bulletins"


def _first_error(form: FlaskForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "Something in that request was not valid."


def _go(endpoint: str, **values: Any) -> BaseResponse:
    """After a change: a redirect, or for htmx a full-page navigation (HX-Redirect)."""
    target = url_for(endpoint, **values)
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


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
    form: BulletinForm,
    bulletin: Bulletin | None,
    status: int = 200,
    show_preview: bool = False,
    message: str | None = None,
    send_form: SendForm | None = None,
    send_error: str | None = None,
) -> Response:
    region = form.region.data or None
    member = form.labour_member.data or None
    preview = None
    if show_preview and form.body.data and not form.body.errors:
        preview = render_bulletin(form.body.data)
    return render_page_or_fragment(
        "bulletins/edit.html",
        "bulletins/_form.html",
        status,
        form=form,
        bulletin=bulletin,
        preview=preview,
        preview_subject=form.subject.data,
        message=message,
        audience=count_audience(region, member),
        audience_words=_audience_words(region, member),
        send_form=send_form or SendForm(formdata=None),
        send_error=send_error,
        button=ButtonForm(formdata=None),
    )


# --- the room --------------------------------------------------------------------------


@bp.get(ROOM)
@allow(ORGANISER)
def index() -> str:
    bulletins = list(db.session.scalars(bulletins_newest_first().limit(200)))
    return render_template("bulletins/index.html", bulletins=bulletins, local=utc_to_local)


def _save(bulletin: Bulletin | None) -> BaseResponse:
    form = BulletinForm()
    wants_preview = request.form.get("action") == "preview"
    if not form.validate():
        return _edit_page(form, bulletin, 422, show_preview=wants_preview)
    if wants_preview:  # the no-JavaScript preview: show it, store nothing
        return _edit_page(form, bulletin, show_preview=True)
    try:
        if bulletin is None:
            bulletin = create_bulletin(form.draft(), by=current_user.email)
        else:
            update_bulletin(bulletin, form.draft())
    except BulletinRefused as exc:
        db.session.rollback()
        return _edit_page(form, bulletin, 409 if bulletin else 422, message=str(exc))
    db.session.commit()
    flash("The draft is saved.", "info")
    return _go("bulletins.bulletin", bulletin_id=bulletin.id)


@bp.route(f"{ROOM}/new", methods=["GET", "POST"])
@allow(ORGANISER)
def new() -> BaseResponse:
    if request.method == "POST":
        return _save(None)
    return _edit_page(BulletinForm(), None)


@bp.route(f"{ROOM}/<int:bulletin_id>", methods=["GET", "POST"])
@allow(ORGANISER)
def bulletin(bulletin_id: int) -> BaseResponse | str:
    item = _bulletin(bulletin_id)
    if request.method == "POST":
        return _save(item)
    if item.status == DRAFT:
        form = BulletinForm(
            formdata=None,
            subject=item.subject,
            body=item.body_markdown,
            region=item.region or "",
            labour_member=item.labour_member or "",
            private=item.private,
        )
        return _edit_page(form, item, show_preview=True)
    return render_template(
        "bulletins/show.html",
        bulletin=item,
        rendered=render_bulletin(item.body_markdown),
        progress=progress(item),
        audience_words=_audience_words(item.region, item.labour_member),
        button=ButtonForm(formdata=None),
        local=utc_to_local,
    )


@bp.post(f"{ROOM}/preview")
@allow(ORGANISER)
def preview() -> Response:
    form = PreviewForm()
    ok = form.validate()
    return render_page_or_fragment(
        "bulletins/preview.html",
        "bulletins/_preview.html",
        200 if ok else 422,
        preview=render_bulletin(form.body.data) if ok and form.body.data else None,
        # The news form shares this preview; its heading is a title, not a subject.
        preview_subject=form.subject.data or clean_line(request.form.get("title")),
        preview_error=None if ok else _first_error(form),
    )


@bp.get(f"{ROOM}/audience")
@allow(ORGANISER)
def audience() -> Response:
    form = AudienceForm(formdata=request.args)
    if not form.validate():
        return render_page_or_fragment(
            "bulletins/audience.html", "bulletins/_audience.html", 400,
            audience=None, audience_error=_first_error(form),
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
    return _go("bulletins.bulletin", bulletin_id=item.id)


@bp.post(f"{ROOM}/<int:bulletin_id>/send")
@allow(ORGANISER)
def send(bulletin_id: int) -> BaseResponse:
    item = _bulletin(bulletin_id)
    form = SendForm()
    if not form.validate():
        return _send_refused(item, _first_error(form), 422)
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
    return _go("bulletins.bulletin", bulletin_id=item.id)


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
    form = BulletinForm(
        formdata=None,
        subject=item.subject,
        body=item.body_markdown,
        region=item.region or "",
        labour_member=item.labour_member or "",
        private=item.private,
    )
    return _edit_page(
        form, item, status, show_preview=True, send_form=SendForm(), send_error=message
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
    return _go("bulletins.bulletin", bulletin_id=item.id)


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
        "bulletins/archive_post.html", bulletin=item, rendered=render_bulletin(item.body_markdown)
    )
