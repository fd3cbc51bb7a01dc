"""The abuse desk (/organisers/abuse/): floods of sign-ups, seen and dealt with in bulk.

Moderators see sign-ups per hashed client address and per e-mail domain over the last
hours and how many are held; they choose a set, preview what releasing or invalidating
it changes, and apply it. The change, the count and the audit entry commit together.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from campaign.appeal.abuse import (
    INVALIDATE,
    RELEASE,
    WINDOWS_HOURS,
    Selection,
    SelectionChanged,
    activity_by_client,
    activity_by_domain,
    apply,
    held_count,
    preview,
)
from campaign.extensions import db
from campaign.models import utcnow
from campaign.organisers.access import allow
from campaign.organisers.audit import record_audit
from campaign.organisers.models import MODERATOR

bp = Blueprint("abuse", __name__, url_prefix="/organisers/abuse")

HOURS_CHOICES = [(h, f"Last {h} hour{'s' if h != 1 else ''}") for h in WINDOWS_HOURS]
AUDIT_ACTIONS = {RELEASE: "signups.released", INVALIDATE: "signups.invalidated"}


class WindowForm(FlaskForm):
    class Meta:
        csrf = False

    hours = SelectField("Window", choices=HOURS_CHOICES, coerce=int, default=24)


class SelectionForm(WindowForm):
    """A set of sign-ups: one client, one domain and/or only the held ones."""

    client = StringField("Client (keyed hash)", validators=[Optional(), Regexp(r"^[0-9a-f]{64}$")])
    domain = StringField(
        "E-mail domain",
        filters=[lambda value: value.strip().lower() if value else value],
        validators=[Optional(), Length(max=253), Regexp(r"^[a-z0-9.-]+\.[a-z0-9-]+$")],
    )
    held = BooleanField("Only the held ones")
    action = SelectField(
        "Action",
        choices=[(RELEASE, "Release (count them)"), (INVALIDATE, "Invalidate (delete them)")],
    )

    def validate_action(self, field: SelectField) -> None:
        if not (self.client.data or self.domain.data or self.held.data):
            raise ValidationError("Choose a client, a domain or the held sign-ups.")

    def selection(self) -> Selection:
        return Selection(
            hours=self.hours.data,
            client=self.client.data or None,
            domain=self.domain.data or None,
            held_only=bool(self.held.data),
        )


class ApplyForm(SelectionForm):
    """The previewed set, posted back with the fingerprint of what was previewed."""

    class Meta:
        csrf = True

    fingerprint = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{24}$")])


@bp.get("/")
@allow(MODERATOR)
def desk() -> str:
    form = WindowForm(request.args)
    hours = form.hours.data if form.validate() else 24
    now = utcnow()
    return render_template(
        "organisers/abuse.html",
        form=form,
        hours=hours,
        clients=activity_by_client(hours, now),
        domains=activity_by_domain(hours, now),
        held=held_count(),
    )


@bp.get("/preview")
@allow(MODERATOR)
def preview_page() -> ResponseReturnValue:
    form = SelectionForm(request.args)
    if not request.args:  # nothing chosen yet: the page says where to choose a set
        return render_template("organisers/abuse_preview.html", form=form, result=None)
    if not form.validate():
        return render_template("organisers/abuse_preview.html", form=form, result=None), 400
    result = preview(form.selection(), form.action.data, utcnow())
    apply_form = ApplyForm(formdata=None, data={**form.data, "fingerprint": result.fingerprint})
    return render_template(
        "organisers/abuse_preview.html",
        form=form,
        apply_form=apply_form,
        selection=form.selection(),
        result=result,
    )


@bp.post("/apply")
@allow(MODERATOR)
def apply_action() -> BaseResponse:
    form = ApplyForm()
    if not form.validate():
        abort(400)
    selection = form.selection()
    try:
        done = apply(selection, form.action.data, form.fingerprint.data, utcnow())
    except SelectionChanged:
        db.session.rollback()
        flash("Those sign-ups changed since the preview. Here is the new preview.", "error")
        return redirect(url_for("abuse.preview_page", **_query(form)), 303)
    record_audit(
        AUDIT_ACTIONS[done.action],
        current_user.email,
        target=selection.describe(),
        rows=done.affected,
        count_change=done.count_change,
        client=selection.client,
        domain=selection.domain,
        held_only=selection.held_only,
        hours=selection.hours,
    )
    db.session.commit()
    verb = "Released" if done.action == RELEASE else "Invalidated"
    flash(f"{verb} {done.affected} sign-ups; the count changed by {done.count_change:+d}.", "ok")
    return redirect(url_for("abuse.desk", hours=selection.hours), 303)


def _query(form: SelectionForm) -> dict[str, Any]:
    query: dict[str, Any] = {"hours": form.hours.data, "action": form.action.data}
    if form.client.data:
        query["client"] = form.client.data
    if form.domain.data:
        query["domain"] = form.domain.data
    if form.held.data:
        query["held"] = "y"
    return query
