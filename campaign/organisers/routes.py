"""The organisers' pages: log-in, dashboard, affiliations queue, supporters, export, audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user
from flask_wtf import FlaskForm

from campaign.appeal.models import Supporter
from campaign.extensions import db, limiter
from campaign.forms import ButtonForm, first_error
from campaign.groups.models import Group
from campaign.htmx import is_htmx, render_page_or_fragment
from campaign.models import utcnow
from campaign.organisers.access import PUBLIC, allow, safe_next
from campaign.organisers.accounts import (
    attempt_login,
    password_matches,
    record_login,
    set_password,
)
from campaign.organisers.audit import ACTIONS, audit_page, record_audit
from campaign.organisers.blueprint import bp
from campaign.organisers.dashboard import dashboard_numbers
from campaign.organisers.disclosure import (
    LISTED,
    VIEWED,
    CeilingReached,
    activity_on,
    disclose,
    may_see,
    report_export,
    visible_supporters,
)
from campaign.organisers.features import (
    InvalidTransition,
    approve_group,
    duplicates_of,
    erase_supporter,
    record_fee_paid,
    reject_group,
    review_queue,
)
from campaign.organisers.forms import (
    AuditFilterForm,
    EraseForm,
    ExportForm,
    FeeForm,
    LoginForm,
    PasswordChangeForm,
    RejectForm,
    SecondFactorForm,
    SupporterSearchForm,
)
from campaign.organisers.models import (
    ADMIN,
    MODERATOR,
    ORGANISER,
    VIEWER,
    Organiser,
)
from campaign.organisers.sessions import (
    begin_second_step,
    end_every_session,
    end_this_session,
    pending_second_step,
    start_session,
)
from campaign.organisers.supporters import (
    EXPORT_COLUMNS,
    BadCursor,
    audited_export,
    supporter_page,
)
from campaign.organisers.throttle import count_failure, count_success, keys_for, seconds_to_wait
from campaign.organisers.two_factor import accept_code, recovery_codes_left, use_recovery_code
from campaign.regions import region_name
from campaign.wording import counted

AUDIT_PAGE_SIZE = 100
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- log-in, log-out, password -------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit("10/minute;50/hour", methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("organisers.dashboard"))
    form = LoginForm()
    message, status = None, 200
    if form.validate_on_submit():
        keys = keys_for("password", form.email.data, request.remote_addr)
        wait = seconds_to_wait(keys)
        organiser = None if wait else attempt_login(form.email.data, form.password.data)
        if organiser is not None:
            count_success(keys)
            back = safe_next(request.args.get("next"))
            if organiser.has_second_factor:
                begin_second_step(organiser, back)
                db.session.commit()
                return redirect(url_for("organisers.login_code"))
            start_session(organiser)
            record_login(organiser)
            record_audit("login", organiser.email)
            db.session.commit()
            return redirect(back or url_for("organisers.dashboard"))
        if not wait:
            count_failure(keys)
        record_audit(
            "login.failed", "anonymous", target=form.email.data.lower(), throttled=bool(wait)
        )
        db.session.commit()
        # One answer whether the account exists or the password is wrong: the log-in form
        # must not tell anyone which organisers have accounts. The throttle's answer is the
        # same for every address too.
        message, status = (throttled_message(wait), 429) if wait else (LOGIN_REFUSED, 422)
    elif form.is_submitted():
        status = 422
    return render_template("organisers/login.html", form=form, message=message), status


LOGIN_REFUSED = "That e-mail address and password do not match an account."


def throttled_message(seconds: int) -> str:
    """What a throttled log-in is told: how long to wait, and that elsewhere is unaffected."""
    wait = counted(seconds, "second") if seconds < 120 else counted(-(-seconds // 60), "minute")
    return (
        f"Too many wrong attempts from this device. Please wait {wait} and try again. "
        "This does not lock the account: its owner can still log in from elsewhere."
    )


@bp.route("/login/code", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit("10/minute;50/hour", methods=["POST"])
def login_code() -> ResponseReturnValue:
    """The second step of a log-in: a code from the app, or a recovery code."""
    pending = pending_second_step()
    if pending is None:
        flash("Please log in again.", "error")
        return redirect(url_for("organisers.login"))
    organiser, back = pending
    form = SecondFactorForm()
    message, status = None, 200
    if form.validate_on_submit():
        keys = keys_for("code", str(organiser.id), request.remote_addr)
        wait = seconds_to_wait(keys)
        how = None
        if not wait:
            if accept_code(organiser, form.code.data):
                how = "app"
            elif use_recovery_code(organiser, form.code.data):
                how = "recovery code"
        if how:
            count_success(keys)
            start_session(organiser)
            record_login(organiser)
            record_audit("login", organiser.email, second_factor=how)
            db.session.commit()
            if how == "recovery code":
                left = counted(recovery_codes_left(organiser), "recovery code")
                flash(f"You used a recovery code; {left} left.", "info")
            return redirect(back or url_for("organisers.dashboard"))
        if not wait:
            count_failure(keys)
        record_audit(
            "login.failed",
            "anonymous",
            target=organiser.email,
            second_factor=True,
            throttled=bool(wait),
        )
        db.session.commit()
        message = throttled_message(wait) if wait else "That code is not right, or was used."
        status = 429 if wait else 422
    elif form.is_submitted():
        status = 422
    return render_template("organisers/login_code.html", form=form, message=message), status


@bp.post("/logout")
@allow(VIEWER)
def logout() -> ResponseReturnValue:
    # Every session of the account ends, not only this browser's: a copy of the cookie
    # saved elsewhere (a shared computer, a stolen cookie) dies with it.
    end_every_session(current_user._get_current_object())
    record_audit("logout", current_user.email)
    db.session.commit()
    end_this_session()
    flash("You have logged out.", "info")
    return redirect(url_for("organisers.login"))


@bp.route("/password", methods=["GET", "POST"])
@allow(VIEWER)
@limiter.limit("10/minute", methods=["POST"])
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        organiser: Organiser = current_user._get_current_object()
        if password_matches(organiser, form.current.data):
            set_password(organiser, form.new.data)
            record_audit("password.changed", organiser.email, target=f"organiser:{organiser.id}")
            db.session.commit()
            login_user(organiser)  # the session id follows the new password
            flash("Your password has been changed.", "info")
            return redirect(url_for("organisers.dashboard"))
        form.current.errors = ["That is not your current password."]
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template("organisers/password.html", form=form), status


# --- dashboard -------------------------------------------------------------------------


@bp.get("/")
@allow(VIEWER)
def dashboard() -> ResponseReturnValue:
    organiser: Organiser = current_user._get_current_object()
    numbers = dashboard_numbers()
    # Referrers are people: organisers see those who agreed to contact, viewers and
    # moderators none; admins also see who looked at personal data today.
    numbers["referrers"] = [
        (person, count)
        for person, count in numbers["referrers"]
        if organiser.has_role(ORGANISER) and may_see(organiser, person)
    ]
    activity = activity_on(utcnow().date()) if organiser.has_role(ADMIN) else None
    return render_template("organisers/dashboard.html", activity=activity, **numbers)


# --- affiliations queue -----------------------------------------------------------------


def _queue_page(status: int = 200, message: str | None = None) -> ResponseReturnValue:
    queue = review_queue()
    return render_template(
        "organisers/groups.html",
        awaiting=queue.awaiting,
        fees=queue.fees,
        duplicates=queue.duplicates,
        message=message,
    ), status


@bp.get("/groups")
@allow(MODERATOR)
def groups() -> ResponseReturnValue:
    return _queue_page()


def _group_answer(
    group: Group, status: int, message: str, **forms: FlaskForm
) -> ResponseReturnValue:
    """htmx: the group's row again; without JavaScript: the queue (redirect, or with the error)."""
    if is_htmx():
        return render_page_or_fragment(
            "organisers/groups.html",
            "organisers/_group_row.html",
            status,
            group=group,
            duplicates=duplicates_of([group]),
            row_message=message,
            row_error=status >= 400,
            **forms,
        )
    if status < 400:
        flash(message, "info")
        return redirect(url_for("organisers.groups"))
    return _queue_page(status, message)


# A review decision: makes its change to the group (or raises InvalidTransition or
# ValueError) and returns what to tell the organiser and what to add to the audit record.
Decision = Callable[[Group], tuple[str, dict[str, Any]]]


def _decide(
    group_id: int, form: FlaskForm, audit_action: str, decision: Decision, form_name: str = ""
) -> ResponseReturnValue:
    """Every review decision's shape: validate, decide, audit and commit, or answer 409/422.

    A decision the group's status no longer allows (another organiser was quicker) is 409;
    a refused value is 422 with the form shown again under `form_name`; either way nothing
    is changed and the row is shown as it now is.
    """
    group = db.get_or_404(Group, group_id)
    forms = {form_name: form} if form_name else {}
    if not form.validate():
        return _group_answer(group, 422, first_error(form), **forms)
    try:
        message, details = decision(group)
    except InvalidTransition as exc:
        db.session.rollback()
        return _group_answer(db.get_or_404(Group, group_id), 409, str(exc))
    except ValueError as exc:
        db.session.rollback()
        return _group_answer(db.get_or_404(Group, group_id), 422, str(exc), **forms)
    record_audit(
        audit_action, current_user.email, target=f"group:{group.id}", name=group.name, **details
    )
    db.session.commit()
    return _group_answer(group, 200, message)


@bp.post("/groups/<int:group_id>/approve")
@allow(MODERATOR)
def approve(group_id: int) -> ResponseReturnValue:
    def decision(group: Group) -> tuple[str, dict[str, Any]]:
        approve_group(group, by=current_user.email)
        return f"{group.name} is approved.", {}

    return _decide(group_id, ButtonForm(), "group.approved", decision)


@bp.post("/groups/<int:group_id>/reject")
@allow(MODERATOR)
def reject(group_id: int) -> ResponseReturnValue:
    form = RejectForm()

    def decision(group: Group) -> tuple[str, dict[str, Any]]:
        reject_group(group, form.reason.data, by=current_user.email)
        message = f"{group.name} is rejected; the contact will be told why."
        return message, {"reason": form.reason.data}

    return _decide(group_id, form, "group.rejected", decision, "reject_form")


@bp.post("/groups/<int:group_id>/fee")
@allow(MODERATOR)
def fee(group_id: int) -> ResponseReturnValue:
    form = FeeForm()

    def decision(group: Group) -> tuple[str, dict[str, Any]]:
        paid_on = form.paid_on.data
        record_fee_paid(group, paid_on, by=current_user.email)
        if paid_on:
            return f"{group.name}: fee paid on {paid_on:%d %B %Y}.", {"paid_on": paid_on}
        return f"{group.name}: fee payment cleared.", {"paid_on": None}

    return _decide(group_id, form, "group.fee_paid", decision, "fee_form")


# --- supporters ------------------------------------------------------------------------


@bp.get("/supporters")
@allow(ORGANISER)
def supporters() -> ResponseReturnValue:
    form = SupporterSearchForm(formdata=request.args)
    if not form.validate():
        return render_page_or_fragment(
            "organisers/supporters.html",
            "organisers/_supporter_results.html",
            400,
            form=form,
            results=None,
            error=first_error(form),
        )
    organiser: Organiser = current_user._get_current_object()
    try:
        page = supporter_page(
            form.filters(), form.q.data, form.after.data, only=visible_supporters(organiser)
        )
    except BadCursor as exc:
        return render_page_or_fragment(
            "organisers/supporters.html",
            "organisers/_supporter_results.html",
            400,
            form=form,
            results=None,
            error=str(exc),
        )
    refusal = disclose(
        organiser,
        LISTED,
        len(page.supporters),
        current_app.config["PERSONAL_RECORDS_PER_HOUR"],
        filters=form.filters().described(),
        search=form.q.data or None,
        page=form.after.data or "first",
    )
    db.session.commit()
    if refusal:
        return _ceiling_answer(
            refusal, "organisers/supporters.html", "organisers/_supporter_results.html", form=form
        )
    return render_page_or_fragment(
        "organisers/supporters.html",
        "organisers/_supporter_results.html",
        form=form,
        results=page,
        error=None,
        region_name=region_name,
    )


@bp.get("/supporters/<int:supporter_id>")
@allow(ORGANISER)
def supporter(supporter_id: int) -> ResponseReturnValue:
    organiser: Organiser = current_user._get_current_object()
    person = db.session.get(Supporter, supporter_id)
    if person is None or not may_see(organiser, person):
        abort(404)  # one answer for "no such supporter" and "not yours to see"
    refusal = disclose(
        organiser,
        VIEWED,
        1,
        current_app.config["PERSONAL_RECORDS_PER_HOUR"],
        target=f"supporter:{supporter_id}",
    )
    db.session.commit()
    if refusal:
        return _ceiling_answer(refusal, "organisers/ceiling.html", "organisers/_ceiling.html")
    return render_template("organisers/supporter.html", supporter=person, region_name=region_name)


def _ceiling_answer(refusal: CeilingReached, page: str, fragment: str, **context: Any) -> Response:
    """429 with the refusal: the page, or for htmx the fragment in place of the results."""
    response = render_page_or_fragment(
        page, fragment, 429, refusal=refusal, results=None, error=None, **context
    )
    response.headers["Retry-After"] = str(refusal.retry_after)
    return response


@bp.route("/supporters/<int:supporter_id>/erase", methods=["GET", "POST"])
@allow(ADMIN)
def erase(supporter_id: int) -> ResponseReturnValue:
    person = db.get_or_404(Supporter, supporter_id)
    form = EraseForm()
    if form.validate_on_submit():
        was_counted = person.counted
        if not erase_supporter(person):  # a second click, or erased by the supporter meanwhile
            db.session.rollback()
            flash(f"Supporter {supporter_id} had already been erased.", "info")
            return redirect(url_for("organisers.supporters"))
        # No personal data in the record: the row it describes is gone.
        record_audit(
            "supporter.erased",
            current_user.email,
            target=f"supporter:{supporter_id}",
            reason=form.reason.data,
            was_counted=was_counted,
        )
        db.session.commit()
        flash(f"Supporter {supporter_id} has been erased.", "info")
        return redirect(url_for("organisers.supporters"))
    status = 422 if form.is_submitted() else 200
    return render_template("organisers/erase.html", supporter=person, form=form), status


# --- export ----------------------------------------------------------------------------


@bp.route("/export", methods=["GET", "POST"])
@allow(ORGANISER)
@limiter.limit("30/hour", methods=["POST"])
def export() -> ResponseReturnValue:
    if request.method == "GET":
        form = ExportForm(formdata=request.args)
        return render_template("organisers/export.html", form=form, columns=EXPORT_COLUMNS)
    form = ExportForm()
    if not form.validate():
        return render_template(
            "organisers/export.html", form=form, columns=EXPORT_COLUMNS, error=first_error(form)
        ), 422
    everyone = form.scope.data == "all"
    if everyone and current_user.role != ADMIN:
        abort(403)
    bom = form.format.data == "csv-excel"  # the same CSV, starting with the BOM Excel needs
    export = audited_export(
        current_user.email,
        form.filters(),
        "csv" if bom else form.format.data,
        everyone,
        form.reason.data,
        bom=bom,
    )
    # What the room's hourly ceiling and the admins' daily view count (campaign/organisers).
    report_export(current_user._get_current_object(), export.rows, form.scope.data, export.filename)
    db.session.commit()
    kind = export.kind
    response = Response(
        stream_with_context(export.chunks()),
        mimetype="text/csv" if kind == "csv" else XLSX_TYPE,
    )
    if kind == "csv":
        response.mimetype_params["charset"] = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Export-Rows"] = str(export.rows)
    return response


# --- audit log and accounts (admins) ---------------------------------------------------


@bp.get("/audit")
@allow(ADMIN)
def audit() -> ResponseReturnValue:
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return render_template(
            "organisers/audit.html",
            form=form,
            records=[],
            next_before=None,
            actions=ACTIONS,
            error=first_error(form),
        ), 400
    records, next_before = audit_page(
        form.action.data or None,
        form.actor.data,
        form.since.data,
        form.until.data,
        before=int(form.before.data) if form.before.data else None,
        size=AUDIT_PAGE_SIZE,
    )
    return render_template(
        "organisers/audit.html",
        form=form,
        records=records,
        next_before=next_before,
        actions=ACTIONS,
        error=None,
    )
