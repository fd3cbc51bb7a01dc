"""Accounts: admins manage organisers; everyone manages their own second factor."""

from __future__ import annotations

import datetime as dt

from flask import Response, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from campaign.extensions import db, limiter
from campaign.models import utcnow
from campaign.organisers import bp
from campaign.organisers.access import allow
from campaign.organisers.accounts import all_organisers, failed_logins_since, password_matches
from campaign.organisers.audit import record_audit
from campaign.organisers.forms import EnrolForm, PasswordConfirmForm
from campaign.organisers.models import ADMIN, VIEWER, Organiser
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
    return current_user._get_current_object()  # type: ignore[no-any-return]


# --- the admins' list of accounts -------------------------------------------------------


@bp.get("/accounts")
@allow(ADMIN)
def accounts() -> ResponseReturnValue:
    return render_template(
        "organisers/accounts.html",
        organisers=all_organisers(),
        failed=failed_logins_since(utcnow() - FAILED_LOGINS_SHOWN),
    )


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
