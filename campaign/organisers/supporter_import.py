"""Importing a supporter list from the room: upload, see the preview, then accept it.

The same import as `flask supporters import` (the sign form's checks on every row,
de-duplication by canonical e-mail); organisers and admins only, since it adds personal
data. Nothing is stored until the preview is accepted; the accepted file is checked again.
"""

from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Optional

from campaign.extensions import db
from campaign.forms import clean_line
from campaign.organisers.access import allow
from campaign.organisers.audit import record_audit
from campaign.organisers.blueprint import bp
from campaign.organisers.models import ORGANISER
from campaign.organisers.supporters import ImportReport, InvalidRow, import_supporters

# Within the site's request limit (MAX_CONTENT_LENGTH); bigger lists go through the CLI.
MAX_BYTES = 200 * 1024
TEMPLATE = "organisers/supporters_import.html"


class SupporterUploadForm(FlaskForm):
    file = FileField(
        "CSV file (UTF-8)",
        description="The export's columns: email, first_name, last_name, postcode, country, "
        "labour_member, union, bulletin_consent, signed_at, confirmed_at, referral_source. "
        "Up to 200 KB; use `flask supporters import` for bigger files.",
        validators=[FileRequired("Choose a CSV file to import.")],
    )


class SupporterCommitForm(FlaskForm):
    csv = HiddenField(
        validators=[
            DataRequired("The preview has expired; upload the file again."),
            Length(max=MAX_BYTES),
        ]
    )
    filename = HiddenField(filters=[clean_line], validators=[Optional(), Length(max=200)])


class UploadError(ValueError):
    """The file cannot be read as a supporter CSV."""


def _check(text: str, dry_run: bool) -> ImportReport:
    try:
        return import_supporters(io.StringIO(text, newline=""), dry_run=dry_run)
    except InvalidRow as exc:
        raise UploadError(f"{exc}.") from exc


def _decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise UploadError("The file is larger than 200 KB: use `flask supporters import`.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(
            f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read). In Excel, "
            "save it as “CSV UTF-8 (Comma delimited)”."
        ) from exc


@bp.route("/supporters/import", methods=["GET", "POST"])
@allow(ORGANISER)
def import_supporters_page() -> ResponseReturnValue:
    form = SupporterUploadForm()
    if request.method == "GET":
        return render_template(TEMPLATE, form=form, report=None)
    if not form.validate():
        return render_template(TEMPLATE, form=form, report=None), 422
    try:
        text = _decode(form.file.data.read(MAX_BYTES + 1))
        report = _check(text, dry_run=True)
    except UploadError as exc:
        db.session.rollback()
        form.file.errors = [str(exc)]
        return render_template(TEMPLATE, form=form, report=None), 422
    db.session.rollback()  # the preview only read
    commit_form = SupporterCommitForm(
        formdata=None, data={"csv": text, "filename": form.file.data.filename}
    )
    return render_template(TEMPLATE, form=form, report=report, commit_form=commit_form)


@bp.post("/supporters/import/commit")
@allow(ORGANISER)
def commit_supporter_import() -> ResponseReturnValue:
    form = SupporterCommitForm()
    upload = SupporterUploadForm(formdata=None)
    if not form.validate():
        message = next((e[0] for e in form.errors.values() if e), "Upload the file again.")
        return render_template(TEMPLATE, form=upload, report=None, message=message), 422
    try:
        report = _check(form.csv.data, dry_run=False)
    except UploadError as exc:
        db.session.rollback()
        return render_template(TEMPLATE, form=upload, report=None, message=str(exc)), 422
    source = form.filename.data or "an upload"
    record_audit(
        "supporters.imported",
        current_user.email,
        target=source,
        created=report.created,
        counted=report.counted,
        duplicates_in_table=report.duplicates_in_table,
        duplicates_in_file=report.duplicates_in_file,
        invalid=len(report.invalid),
    )
    db.session.commit()
    flash(
        f"Imported {report.created:,} supporters ({report.counted:,} confirmed signatures "
        f"counted); skipped {report.skipped:,} already known and {len(report.invalid):,} invalid.",
        "info",
    )
    return redirect(url_for("organisers.supporters"))
