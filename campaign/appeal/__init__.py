"""Signing the appeal: the form, confirmation, bulletin sign-up and my-data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

bp = Blueprint("appeal", __name__, cli_group="appeal")

DEFAULTS = {
    # Per client address, and generous: a meeting of a hundred on one venue Wi-Fi (or a
    # proxy without TRUSTED_PROXIES) must all be able to sign. Floods are held instead.
    "APPEAL_SIGN_RATE_LIMIT": "120/minute;1000/hour",
    # Beyond this many sign-ups from one client address in an hour, new ones are taken
    # but held for review: not counted or shown until a moderator releases them.
    "APPEAL_HOLD_AFTER": 30,
    "APPEAL_TOKEN_RATE_LIMIT": "30/minute;300/hour",
}


def init_app(app: Flask) -> None:
    """Register the feature with the app: blueprint, settings, template global, guard."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)

    @app.template_global()
    def bulletin_form() -> Any:  # a BulletinForm, whose module imports this package
        """A fresh bulletin sign-up form, so any page can include appeal/_bulletin.html."""
        from campaign.appeal.forms import BulletinForm

        return BulletinForm(formdata=None)


from campaign.appeal import cli, models, routes  # noqa: E402,F401
