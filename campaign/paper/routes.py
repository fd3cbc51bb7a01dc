"""The paper signatures pages: the batches, one batch, record, correct and withdraw.

Organisers only: the names a batch carries are personal data, and its count moves the
public numbers.
"""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from campaign.events.models import Event
from campaign.events.services import utc_to_london
from campaign.extensions import db
from campaign.forms import first_error
from campaign.htmx import after_change, navigate, render_page_or_fragment
from campaign.organisers.access import allow, guard_organiser_room
from campaign.organisers.audit import record_audit
from campaign.organisers.models import ORGANISER, AuditRecord
from campaign.paper.blueprint import bp
from campaign.paper.forms import CorrectForm, NewBatchForm, WithdrawForm
from campaign.paper.models import PaperBatch
from campaign.paper.services import (
    PAPER_TALLY,
    BatchError,
    correct_batch,
    named_supporters,
    paper_batches,
    parse_names,
    record_batch,
    withdraw_batch,
)
from campaign.tally import read_tallies

bp.before_request(guard_organiser_room)

PAGE_SIZE = 200


@bp.get("/")
@allow(ORGANISER)
def batches() -> ResponseReturnValue:
    rows = list(db.session.scalars(paper_batches().limit(PAGE_SIZE)))
    tallies = read_tallies("signatures")
    online, paper = tallies.get("signatures", 0), tallies.get(PAPER_TALLY, 0)
    return render_template(
        "paper/batches.html", batches=rows, online=online, paper=paper, total=online + paper
    )


def _new_page(
    form: NewBatchForm, status: int = 200, name_errors: list | None = None
) -> ResponseReturnValue:
    return render_page_or_fragment(
        "paper/new.html", "paper/_new_form.html", status, form=form, name_errors=name_errors or []
    )


def _names_text(form: NewBatchForm) -> str:
    upload = form.names_file.data
    if upload is not None and getattr(upload, "filename", None):
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BatchError(
                "The names file is not UTF-8 text; in Excel save it as “CSV UTF-8”.", "names_file"
            ) from exc
    return form.names.data or ""


@bp.route("/new", methods=["GET", "POST"])
@allow(ORGANISER)
def new_batch() -> ResponseReturnValue:
    if request.method == "GET":
        form = NewBatchForm(formdata=None)
        prefill_from_event(form, request.args.get("event", ""))
        return _new_page(form)
    form = NewBatchForm()
    if not form.validate():
        return _new_page(form, 422)
    try:
        parsed = parse_names(_names_text(form))
        if parsed.errors:
            return _new_page(form, 422, parsed.errors)
        batch, report = record_batch(
            form.collected_on.data,
            form.place.data,
            form.signatures.data,
            by=current_user.email,
            group_id=form.group_id.data,
            note=form.note.data,
            names=parsed.names,
            event_id=form.event_id.data,
        )
    except BatchError as exc:
        db.session.rollback()
        field = form[exc.field] if exc.field and exc.field in form else None
        if field is not None:
            field.errors = [str(exc)]
        return _new_page(form, 422, None if field is not None else [(0, str(exc))])
    record_audit(
        "paper.recorded",
        current_user.email,
        target=f"paper:{batch.id}",
        collected_on=batch.collected_on,
        place=batch.place,
        group_id=batch.group_id,
        event_id=batch.event_id,
        signatures=batch.signatures,
        names=report.described(),
    )
    db.session.commit()
    message = f"Recorded {batch.signatures:,} paper signatures from {batch.place}."
    if report.added:
        message += f" {report.added} signer(s) who consented were added as supporters."
    flash(message, "info")
    return navigate(url_for("paper.batch", batch_id=batch.id))


def prefill_from_event(form: NewBatchForm, raw_id: str) -> None:
    """Start a batch from an event's page: its day, place and host group filled in."""
    event = db.session.get(Event, int(raw_id)) if raw_id.isdigit() and len(raw_id) < 12 else None
    if event is None or event.id not in {choice.value for choice in form.event_id.choices}:
        return
    form.event_id.data = event.id
    form.collected_on.data = utc_to_london(event.starts_at).date()
    form.place.data = f"{event.title}, {event.venue}"[:150] if event.venue else event.title
    form.group_id.data = event.group_id


def _batch_page(
    batch: PaperBatch,
    status: int = 200,
    message: str | None = None,
    correct_form: CorrectForm | None = None,
    withdraw_form: WithdrawForm | None = None,
) -> ResponseReturnValue:
    history = db.session.scalars(
        sa.select(AuditRecord)
        .where(AuditRecord.target == f"paper:{batch.id}")
        .order_by(AuditRecord.id.desc())
    ).all()
    if correct_form is None:
        correct_form = CorrectForm(formdata=None, obj=batch, current_group=batch.group)
        correct_form.group_id.data = batch.group_id
    return render_page_or_fragment(
        "paper/batch.html",
        "paper/_batch.html",
        status,
        batch=batch,
        supporters=named_supporters(batch),
        history=history,
        message=message,
        error=status >= 400,
        correct_form=correct_form,
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
    )


def _done(batch: PaperBatch, message: str) -> ResponseReturnValue:
    target = url_for("paper.batch", batch_id=batch.id)
    return after_change(message, partial(_batch_page, batch, 200), target)


@bp.get("/<int:batch_id>")
@allow(ORGANISER)
def batch(batch_id: int) -> ResponseReturnValue:
    return _batch_page(db.get_or_404(PaperBatch, batch_id))


@bp.post("/<int:batch_id>/correct")
@allow(ORGANISER)
def correct(batch_id: int) -> ResponseReturnValue:
    batch = db.get_or_404(PaperBatch, batch_id)
    form = CorrectForm(current_group=batch.group)
    if not form.validate():
        return _batch_page(batch, 422, first_error(form), correct_form=form)
    try:
        changes = correct_batch(
            batch,
            form.collected_on.data,
            form.place.data,
            form.signatures.data,
            form.reason.data,
            by=current_user.email,
            group_id=form.group_id.data,
            note=form.note.data,
        )
    except BatchError as exc:
        db.session.rollback()
        if exc.field and exc.field in form:
            form[exc.field].errors = [str(exc)]
        return _batch_page(db.get_or_404(PaperBatch, batch_id), 422, str(exc), correct_form=form)
    if not changes:
        return _done(batch, "Nothing was changed.")
    record_audit(
        "paper.corrected",
        current_user.email,
        target=f"paper:{batch.id}",
        reason=form.reason.data,
        changes={k: {"from": v[0], "to": v[1]} for k, v in changes.items()},
    )
    db.session.commit()
    return _done(batch, "The batch is corrected.")


@bp.post("/<int:batch_id>/withdraw")
@allow(ORGANISER)
def withdraw(batch_id: int) -> ResponseReturnValue:
    batch = db.get_or_404(PaperBatch, batch_id)
    form = WithdrawForm()
    if not form.validate():
        return _batch_page(batch, 422, first_error(form), withdraw_form=form)
    try:
        withdraw_batch(batch, form.reason.data, by=current_user.email)
    except BatchError as exc:
        db.session.rollback()
        return _batch_page(db.get_or_404(PaperBatch, batch_id), 409, str(exc))
    record_audit(
        "paper.withdrawn",
        current_user.email,
        target=f"paper:{batch.id}",
        reason=form.reason.data,
        signatures=batch.signatures,
    )
    db.session.commit()
    return _done(batch, f"The batch is withdrawn: {batch.signatures:,} signatures no longer count.")
