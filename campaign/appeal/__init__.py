"""Signing the appeal: the form, confirmation, bulletin sign-up and my-data."""

from __future__ import annotations

from flask import Flask

from campaign.appeal import cli, models, routes  # noqa: F401  (their pages and commands join bp)
from campaign.appeal.blueprint import DEFAULTS, bp
from campaign.appeal.forms import BulletinForm


def init_app(app: Flask) -> None:
    """Register the feature with the app: blueprint, settings, template global, guard."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)

    @app.template_global()
    def bulletin_form() -> BulletinForm:
        """A fresh bulletin sign-up form, so any page can include appeal/_bulletin.html."""
        return BulletinForm(formdata=None)
