"""Signing the appeal: the form, confirmation, bulletin sign-up and my-data."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Blueprint, Flask, abort, make_response, request

bp = Blueprint("appeal", __name__, cli_group="appeal")

DEFAULTS = {
    # Per client address; a deployment behind a proxy must set TRUSTED_PROXIES.
    "APPEAL_SIGN_RATE_LIMIT": "10/minute;60/hour",
    "APPEAL_TOKEN_RATE_LIMIT": "30/minute;300/hour",
}


def init_app(app: Flask) -> None:
    """Register the feature with the app: blueprint, settings, template global, guard."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)

    @app.template_global()
    def bulletin_form():  # noqa: ANN202 (a FlaskForm; imported lazily)
        """A fresh bulletin sign-up form, so any page can include appeal/_bulletin.html."""
        from campaign.appeal.forms import BulletinForm

        return BulletinForm(formdata=None)

    # First of all before-request hooks (before CSRF parses the form), so that a body
    # that is not UTF-8 gets a clear 400 instead of being half-decoded.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_undecodable_form)


def _refuse_undecodable_form() -> None:
    if request.blueprint != bp.name or request.method != "POST":
        return
    if request.mimetype != "application/x-www-form-urlencoded":
        return
    raw = request.get_data(cache=True)
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        from campaign.errors import render_error

        abort(
            make_response(
                render_error(
                    400,
                    "Your browser sent characters we could not read (the form was not "
                    "UTF-8). Please check what you typed and send it again.",
                )
            )
        )


from campaign.appeal import cli, models, routes  # noqa: E402,F401
