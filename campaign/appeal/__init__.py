"""Signing the appeal: the form, confirmation, bulletin sign-up and my-data."""

from __future__ import annotations

from flask import Blueprint, Flask

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


from campaign.appeal import cli, models, routes  # noqa: E402,F401
