"""Accounts: admins manage organisers; everyone manages their own second factor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Response, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from campaign.extensions import db, limiter
from campaign.forms import ButtonForm
from campaign.models import utcnow
from campaign.organisers.access import PUBLIC, allow
from campaign.organisers.accounts import (
    AccountError,
    all_organisers,
    change_role,
    disable_organiser,
    enable_organiser,
    failed_logins_since,
    password_matches,
    record_login,
)
from campaign.organisers.audit import record_audit
from campaign.organisers.blueprint import bp
from campaign.organisers.forms import (
    AcceptInviteForm,
    EnrolForm,
    InviteForm,
    PasswordConfirmForm,
    RoleForm,
)
from campaign.organisers.invites import (
    InviteNotOpen,
    InviteUnusable,
    invite_organiser,
    open_invite,
    open_invites,
    withdraw_invite,
)
from campaign.organisers.invites import accept_invite as accept_invite_service
from campaign.organisers.models import ADMIN, ROLES, VIEWER, Organiser
from campaign.organisers.sessions import end_every_session, end_this_session, start_session
from campaign.organisers.two_factor import (
    disable_second_factor,
    enable_second_factor,
    matching_step,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    qr_svg,
    recovery_codes_left,
    second_factor_required,
)

ENROL_SECRET = "organiser_enrol_secret"  # the secret being set up, until a code confirms it
FAILED_LOGINS_SHOWN = dt.timedelta(hours=24)


def _me() -> Organiser:
    return current_user._get_current_object()


# --- the admins' list of accounts -------------------------------------------------------


def _accounts_page(
    status: int = 200, message: str | None = None, invite_form: InviteForm | None = None
) -> ResponseReturnValue:
    return render_template(
        "organisers/accounts.html",
        organisers=all_organisers(),
        failed=failed_logins_since(utcnow() - FAILED_LOGINS_SHOWN),
        invites=open_invites(),
        invite_form=invite_form or InviteForm(),
        roles=ROLES,
        message=message,
        me=_me(),
    ), status


@bp.get("/accounts")
@allow(ADMIN)
def accounts() -> ResponseReturnValue:
    return _accounts_page()


@bp.post("/accounts/invite")
@allow(ADMIN)
@limiter.limit("30/hour")
def invite() -> ResponseReturnValue:
    form = InviteForm()
    if not form.validate():
        return _accounts_page(422, "The invitation was not sent.", invite_form=form)
    try:
        sent = invite_organiser(form.email.data, form.role.data, by=_me())
    except AccountError as exc:
        db.session.rollback()
        form.email.errors = [str(exc)]
        return _accounts_page(422, "The invitation was not sent.", invite_form=form)
    record_audit("organiser.invited", _me().email, target=sent.email, role=sent.role)
    db.session.commit()
    flash(f"Invitation sent to {sent.email} as {sent.role}; the link works for 72 hours.", "info")
    return redirect(url_for("organisers.accounts"))


@bp.post("/accounts/invites/<int:invite_id>/withdraw")
@allow(ADMIN)
def withdraw_invitation(invite_id: int) -> ResponseReturnValue:
    ButtonForm()  # CSRF is checked for every POST by CSRFProtect
    try:
        withdrawn = withdraw_invite(invite_id)
    except InviteNotOpen as exc:
        db.session.rollback()
        return _accounts_page(409, str(exc))
    record_audit(
        "organiser.invite_withdrawn", _me().email, target=withdrawn.email, role=withdrawn.role
    )
    db.session.commit()
    flash(f"The invitation to {withdrawn.email} is withdrawn: its link no longer works.", "info")
    return redirect(url_for("organisers.accounts"))


def _account(organiser_id: int) -> Organiser:
    return db.get_or_404(Organiser, organiser_id)


def _change(
    organiser_id: int,
    change: Callable[[Organiser], dict[str, Any] | None],
    action: str,
    done: str,
) -> ResponseReturnValue:
    """One admin change to an account: apply, audit and commit, or refuse with the reason."""
    organiser = _account(organiser_id)
    ButtonForm()  # CSRF is checked for every POST by CSRFProtect
    try:
        details = change(organiser) or {}
    except AccountError as exc:
        db.session.rollback()
        return _accounts_page(409, str(exc))
    me = _me()
    record_audit(action, me.email, target=organiser.email, **details)
    db.session.commit()
    flash(done.format(email=organiser.email), "info")
    if organiser.id == me.id and me.get_id() != session.get("_user_id"):
        end_this_session()  # an admin who signed themselves out (or disabled themselves)
        return redirect(url_for("organisers.login"))
    return redirect(url_for("organisers.accounts"))


@bp.post("/accounts/<int:organiser_id>/role")
@allow(ADMIN)
def account_role(organiser_id: int) -> ResponseReturnValue:
    form = RoleForm()
    if not form.validate():
        # Only the four roles exist: anything else in the form is refused, not stored.
        return _accounts_page(422, "Choose one of the roles listed.")

    def give_role(organiser: Organiser) -> dict[str, Any]:
        old = change_role(organiser, form.role.data)
        return {"from": old, "to": organiser.role}

    return _change(organiser_id, give_role, "organiser.role_changed", "{email} has a new role.")


@bp.post("/accounts/<int:organiser_id>/disable")
@allow(ADMIN)
def account_disable(organiser_id: int) -> ResponseReturnValue:
    return _change(
        organiser_id,
        disable_organiser,
        "organiser.disabled",
        "{email} is disabled and signed out everywhere.",
    )


@bp.post("/accounts/<int:organiser_id>/enable")
@allow(ADMIN)
def account_enable(organiser_id: int) -> ResponseReturnValue:
    return _change(
        organiser_id,
        enable_organiser,
        "organiser.enabled",
        "{email} can log in again.",
    )


@bp.post("/accounts/<int:organiser_id>/sign-out")
@allow(ADMIN)
def account_sign_out(organiser_id: int) -> ResponseReturnValue:
    return _change(
        organiser_id,
        end_every_session,
        "organiser.signed_out",
        "Every session of {email} has ended.",
    )


@bp.post("/accounts/<int:organiser_id>/reset-two-factor")
@allow(ADMIN)
def account_reset_two_factor(organiser_id: int) -> ResponseReturnValue:
    def reset(organiser: Organiser) -> None:
        disable_second_factor(organiser)
        end_every_session(organiser)

    return _change(
        organiser_id,
        reset,
        "2fa.reset",
        "{email} logs in with the password alone until they set up two-factor again.",
    )


# --- accepting an invitation ------------------------------------------------------------


@bp.route("/invite/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit("10/minute", methods=["POST"])
def accept_invite(token: str) -> ResponseReturnValue:
    try:
        invitation = open_invite(token)
    except InviteUnusable as exc:
        return render_template("organisers/invite_unusable.html", message=str(exc)), exc.status
    form = AcceptInviteForm()  # reads name and passwords only: the role is the invitation's
    status = 200
    if form.validate_on_submit():
        try:
            organiser = accept_invite_service(invitation, form.name.data, form.password.data)
        except InviteUnusable as exc:
            db.session.rollback()
            return render_template("organisers/invite_unusable.html", message=str(exc)), 410
        except AccountError as exc:
            db.session.rollback()
            form.password.errors = [str(exc)]
            return render_template("organisers/invite.html", form=form, invitation=invitation), 422
        record_audit(
            "organiser.invite_accepted",
            organiser.email,
            target=f"organiser:{organiser.id}",
            role=organiser.role,
            invited_by=invitation.invited_by,
        )
        start_session(organiser)
        record_login(organiser)
        record_audit("login", organiser.email, via="invitation")
        db.session.commit()
        flash(f"Welcome, {organiser.name}. Your account is ready.", "info")
        return redirect(url_for("organisers.dashboard"))
    if form.is_submitted():
        status = 422
    return render_template("organisers/invite.html", form=form, invitation=invitation), status


# --- one's own second factor ------------------------------------------------------------


@bp.route("/two-factor", methods=["GET", "POST"])
@allow(VIEWER)
@limiter.limit("10/minute", methods=["POST"])
def two_factor() -> ResponseReturnValue:
    """The second factor: its state, or setting it up with a QR code and a first code."""
    organiser = _me()
    if organiser.has_second_factor:
        return render_template(
            "organisers/two_factor.html",
            left=recovery_codes_left(organiser),
            required=second_factor_required(organiser),
            off_form=PasswordConfirmForm(prefix="off"),
            codes_form=PasswordConfirmForm(prefix="codes"),
        )
    secret = session.get(ENROL_SECRET) or new_secret()
    session[ENROL_SECRET] = secret
    form = EnrolForm()
    status = 200
    if form.validate_on_submit():
        step = matching_step(secret, form.code.data)
        if step is not None:
            codes = enable_second_factor(organiser, secret, step)
            session.pop(ENROL_SECRET, None)
            record_audit("2fa.enabled", organiser.email, target=f"organiser:{organiser.id}")
            db.session.commit()
            return render_template("organisers/recovery_codes.html", codes=codes, first=True)
        form.code.errors = ["That code does not match. Check the app and the phone's clock."]
        status = 422
    elif form.is_submitted():
        status = 422
    uri = provisioning_uri(secret, organiser.email)
    return render_template(
        "organisers/two_factor_enrol.html",
        form=form,
        qr=qr_svg(uri),
        secret=secret,
        required=second_factor_required(organiser),
    ), status


def _password_confirmed(form: PasswordConfirmForm, organiser: Organiser) -> bool:
    if not form.validate_on_submit():
        return False
    if not password_matches(organiser, form.password.data):
        form.password.errors = ["That is not your password."]
        return False
    return True


def _two_factor_refused(message: str, status: int, **forms: PasswordConfirmForm) -> Response:
    organiser = _me()
    response = render_template(
        "organisers/two_factor.html",
        left=recovery_codes_left(organiser),
        required=second_factor_required(organiser),
        message=message,
        off_form=forms.get("off_form") or PasswordConfirmForm(prefix="off"),
        codes_form=forms.get("codes_form") or PasswordConfirmForm(prefix="codes"),
    )
    return Response(response, status)


@bp.post("/two-factor/off")
@allow(VIEWER)
@limiter.limit("10/minute")
def two_factor_off() -> ResponseReturnValue:
    """Turn the second factor off (not allowed for admins when it is required)."""
    organiser = _me()
    form = PasswordConfirmForm(prefix="off")
    if not organiser.has_second_factor:
        return redirect(url_for("organisers.two_factor"))
    if second_factor_required(organiser):
        return _two_factor_refused("Admins must keep a second factor on this site.", 409)
    if not _password_confirmed(form, organiser):
        return _two_factor_refused("The second factor is still on.", 422, off_form=form)
    disable_second_factor(organiser)
    record_audit("2fa.disabled", organiser.email, target=f"organiser:{organiser.id}")
    db.session.commit()
    flash("Two-factor log-in is off. Your password alone now opens this account.", "info")
    return redirect(url_for("organisers.two_factor"))


@bp.post("/two-factor/recovery-codes")
@allow(VIEWER)
@limiter.limit("10/minute")
def two_factor_codes() -> ResponseReturnValue:
    """Replace the recovery codes (the old ones stop working)."""
    organiser = _me()
    form = PasswordConfirmForm(prefix="codes")
    if not organiser.has_second_factor:
        return redirect(url_for("organisers.two_factor"))
    if not _password_confirmed(form, organiser):
        return _two_factor_refused("No new codes were made.", 422, codes_form=form)
    codes = new_recovery_codes(organiser)
    record_audit("2fa.recovery_codes", organiser.email, target=f"organiser:{organiser.id}")
    db.session.commit()
    return render_template("organisers/recovery_codes.html", codes=codes, first=False)
