"""The organisers' pages for affiliated groups: list, page, edit, fees, revoke, restore,
add and import. Moderators may do all of it but the import, which is for organisers."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from campaign.extensions import db
from campaign.forms import first_error
from campaign.groups.affiliated import (
    DuplicateGroup,
    add_affiliated_group,
    affiliated_groups,
    fee_state,
    fees_due,
    group_history,
    record_fee_payment,
    restore_group,
    revoke_group,
    today,
    update_group,
)
from campaign.groups.forms import GroupDetailsForm
from campaign.groups.importing import (
    MAX_BYTES,
    ImportFileError,
    commit_groups,
    decode_upload,
    preview_groups,
)
from campaign.groups.models import APPROVED, REVOKED, Group
from campaign.groups.services import InvalidTransition
from campaign.htmx import after_change, navigate, render_page_or_fragment
from campaign.organisers.access import allow
from campaign.organisers.affiliated_forms import (
    AddGroupForm,
    AffiliatedFilterForm,
    ImportCommitForm,
    ImportUploadForm,
    PaymentForm,
    RestoreForm,
    RevokeForm,
)
from campaign.organisers.audit import record_audit
from campaign.organisers.blueprint import bp
from campaign.organisers.models import MODERATOR, ORGANISER

MAX_UPLOAD = MAX_BYTES
LIST_LIMIT = 500  # the alliance counts its groups in dozens; a page never needs more


def _first_error(form: FlaskForm) -> str:
    return first_error(form, nested="Check the representatives.")


# --- the list -------------------------------------------------------------------------


@bp.get("/groups/affiliated")
@allow(MODERATOR)
def affiliated() -> ResponseReturnValue:
    form = AffiliatedFilterForm(formdata=request.args)
    context: dict[str, Any] = {"form": form, "fee_state": fee_state, "today": today()}
    if not form.validate():
        return render_page_or_fragment(
            "organisers/affiliated.html",
            "organisers/_affiliated_results.html",
            400,
            groups=None,
            due=fees_due(),
            error=_first_error(form),
            **context,
        )
    query = affiliated_groups(
        form.status.data or APPROVED,
        form.kind.data or None,
        form.region.data or None,
        form.q.data,
        form.fee.data or None,
    )
    groups = list(db.session.scalars(query.limit(LIST_LIMIT + 1)))
    return render_page_or_fragment(
        "organisers/affiliated.html",
        "organisers/_affiliated_results.html",
        groups=groups[:LIST_LIMIT],
        more=len(groups) > LIST_LIMIT,
        due=fees_due(),
        error=None,
        **context,
    )


# --- one group ------------------------------------------------------------------------


def _group(group_id: int) -> Group:
    group = db.get_or_404(Group, group_id)
    return group


def _panel(
    group: Group, status: int = 200, message: str | None = None, **forms: FlaskForm
) -> ResponseReturnValue:
    """The group's page, or for htmx its panel: details, fees, actions and history."""
    forms.setdefault("payment_form", PaymentForm(formdata=None))
    forms.setdefault("revoke_form", RevokeForm(formdata=None))
    forms.setdefault("restore_form", RestoreForm(formdata=None))
    return render_page_or_fragment(
        "organisers/affiliated_group.html",
        "organisers/_affiliated_group.html",
        status,
        group=group,
        history=group_history(group),
        fee=fee_state(group),
        message=message,
        error=status >= 400,
        **forms,
    )


def _done(group: Group, message: str) -> ResponseReturnValue:
    """After a change: htmx gets the panel again; a plain form post is redirected (PRG)."""
    target = url_for("organisers.affiliated_group", group_id=group.id)
    return after_change(message, partial(_panel, group, 200), target)


@bp.get("/groups/affiliated/<int:group_id>")
@allow(MODERATOR)
def affiliated_group(group_id: int) -> ResponseReturnValue:
    return _panel(_group(group_id))


@bp.post("/groups/affiliated/<int:group_id>/payments")
@allow(MODERATOR)
def record_payment(group_id: int) -> ResponseReturnValue:
    group = _group(group_id)
    form = PaymentForm()
    if not form.validate():
        return _panel(group, 422, _first_error(form), payment_form=form)
    try:
        payment = record_fee_payment(
            group, form.paid_on.data, form.amount_pence, form.reference.data, by=current_user.email
        )
    except InvalidTransition as exc:
        db.session.rollback()
        return _panel(group, 409, str(exc), payment_form=form)
    except ValueError as exc:
        db.session.rollback()
        form.amount.errors = [str(exc)] if "amount" in str(exc) else []
        form.paid_on.errors = [] if form.amount.errors else [str(exc)]
        return _panel(group, 422, str(exc), payment_form=form)
    record_audit(
        "group.fee_paid",
        current_user.email,
        target=f"group:{group.id}",
        name=group.name,
        paid_on=payment.paid_on,
        amount_pence=payment.amount_pence,
        reference=payment.reference,
    )
    db.session.commit()
    return _done(
        group,
        f"Recorded £{payment.amount_pence / 100:,.2f} paid on "
        f"{payment.paid_on:%d %B %Y}; the next fee is due on {group.fee_due_on:%d %B %Y}.",
    )


@bp.post("/groups/affiliated/<int:group_id>/revoke")
@allow(MODERATOR)
def revoke(group_id: int) -> ResponseReturnValue:
    group = _group(group_id)
    form = RevokeForm()
    if not form.validate():
        return _panel(group, 422, _first_error(form), revoke_form=form)
    try:
        revoke_group(group, form.reason.data, by=current_user.email)
    except InvalidTransition as exc:
        db.session.rollback()
        return _panel(_group(group_id), 409, str(exc))
    record_audit(
        "group.revoked",
        current_user.email,
        target=f"group:{group.id}",
        name=group.name,
        reason=form.reason.data,
    )
    db.session.commit()
    return _done(group, f"{group.name} is revoked: off the directory and the counters.")


@bp.post("/groups/affiliated/<int:group_id>/restore")
@allow(MODERATOR)
def restore(group_id: int) -> ResponseReturnValue:
    group = _group(group_id)
    form = RestoreForm()
    if not form.validate():
        return _panel(group, 422, _first_error(form), restore_form=form)
    try:
        restore_group(group, by=current_user.email, note=form.note.data)
    except InvalidTransition as exc:
        db.session.rollback()
        return _panel(_group(group_id), 409, str(exc))
    record_audit(
        "group.restored",
        current_user.email,
        target=f"group:{group.id}",
        name=group.name,
        note=form.note.data,
    )
    db.session.commit()
    return _done(group, f"{group.name} is restored to the directory and the counters.")


# --- edit and add -----------------------------------------------------------------------


def _details_page(
    form: FlaskForm, group: Group | None, status: int = 200, message: str | None = None
) -> ResponseReturnValue:
    return render_page_or_fragment(
        "organisers/affiliated_edit.html",
        "organisers/_affiliated_form.html",
        status,
        form=form,
        group=group,
        message=message,
    )


def _to_group_page(group: Group, message: str) -> ResponseReturnValue:
    flash(message, "info")
    return navigate(url_for("organisers.affiliated_group", group_id=group.id))


def _prefill(group: Group) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: getattr(group, name)
        for name in (
            "name",
            "kind",
            "region",
            "town",
            "website",
            "contact_name",
            "contact_email",
            "contact_phone",
            "members",
            "decided_how",
            "statement",
        )
    }
    data["representatives"] = [{"name": r.name, "email": r.email} for r in group.representatives]
    return data


@bp.route("/groups/affiliated/<int:group_id>/edit", methods=["GET", "POST"])
@allow(MODERATOR)
def edit_group(group_id: int) -> ResponseReturnValue:
    group = _group(group_id)
    if group.status not in (APPROVED, REVOKED):
        return _panel(
            group,
            409,
            "Only affiliated or revoked groups are edited here; "
            "others are decided in the affiliations queue.",
        )
    if request.method == "GET":
        return _details_page(GroupDetailsForm(data=_prefill(group)), group)
    form = GroupDetailsForm()
    if not form.validate():
        return _details_page(form, group, 422)
    try:
        changed = update_group(group, form.service_data(), by=current_user.email)
    except DuplicateGroup as exc:
        db.session.rollback()
        form.name.errors = [str(exc)]
        return _details_page(form, db.session.get(Group, group_id), 422)
    except (InvalidTransition, ValueError) as exc:
        db.session.rollback()
        return _details_page(form, db.session.get(Group, group_id), 422, str(exc))
    if not changed:
        return _to_group_page(group, "Nothing was changed.")
    record_audit(
        "group.edited",
        current_user.email,
        target=f"group:{group.id}",
        name=group.name,
        changed=changed,
    )
    db.session.commit()
    return _to_group_page(
        group, f"Saved: {', '.join(changed)}. The contact will be told by e-mail."
    )


@bp.route("/groups/affiliated/new", methods=["GET", "POST"])
@allow(MODERATOR)
def add_group() -> ResponseReturnValue:
    form = AddGroupForm()
    if request.method == "GET":
        return _details_page(AddGroupForm(formdata=None), None)
    if not form.validate():
        return _details_page(form, None, 422)
    try:
        group = add_affiliated_group(
            form.service_data(), by=current_user.email, tell_contact=bool(form.tell_contact.data)
        )
    except DuplicateGroup as exc:
        db.session.rollback()
        form.name.errors = [str(exc)]
        return _details_page(form, None, 422)
    record_audit(
        "group.added",
        current_user.email,
        target=f"group:{group.id}",
        name=group.name,
        told_contact=bool(form.tell_contact.data),
    )
    db.session.commit()
    return _to_group_page(group, f"{group.name} is added to the directory and the counters.")


# --- import -----------------------------------------------------------------------------


@bp.route("/groups/affiliated/import", methods=["GET", "POST"])
@allow(ORGANISER)
def import_groups() -> ResponseReturnValue:
    """Upload a CSV and see what it would do; nothing changes until the preview is accepted."""
    form = ImportUploadForm()
    if request.method == "GET":
        return render_template("organisers/affiliated_import.html", form=form, preview=None)
    if not form.validate():
        return render_template("organisers/affiliated_import.html", form=form, preview=None), 422
    try:
        text = decode_upload(form.file.data.read(MAX_UPLOAD + 1))
        preview = preview_groups(text)
    except ImportFileError as exc:
        form.file.errors = [str(exc)]
        return render_template("organisers/affiliated_import.html", form=form, preview=None), 422
    commit_form = ImportCommitForm(
        formdata=None, data={"csv": text, "filename": form.file.data.filename}
    )
    return render_template(
        "organisers/affiliated_import.html", form=form, preview=preview, commit_form=commit_form
    )


@bp.post("/groups/affiliated/import/commit")
@allow(ORGANISER)
def commit_import() -> ResponseReturnValue:
    """Create the groups of an accepted preview (checked again: the table may have moved)."""
    form = ImportCommitForm()
    upload = ImportUploadForm(formdata=None)
    if not form.validate():
        return render_template(
            "organisers/affiliated_import.html",
            form=upload,
            preview=None,
            message=_first_error(form),
        ), 422
    try:
        preview = preview_groups(form.csv.data)
    except ImportFileError as exc:
        return render_template(
            "organisers/affiliated_import.html", form=upload, preview=None, message=str(exc)
        ), 422
    source = form.filename.data or "an upload"
    created, skipped = commit_groups(
        preview.created,
        by=current_user.email,
        source=source,
        tell_contacts=bool(form.tell_contacts.data),
    )
    record_audit(
        "groups.imported",
        current_user.email,
        target=source,
        created=len(created),
        skipped=len(preview.skipped) + len(skipped),
        refused=len(preview.refused),
    )
    db.session.commit()
    flash(
        f"Imported {len(created)} group{'' if len(created) == 1 else 's'}; skipped "
        f"{len(preview.skipped) + len(skipped)}, refused {len(preview.refused)}.",
        "info",
    )
    return redirect(url_for("organisers.affiliated"))
