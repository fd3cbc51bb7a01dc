"""Signing the appeal: the form, confirmation, bulletin sign-up and my-data."""

from flask import Blueprint, Flask

bp = Blueprint("appeal", __name__, cli_group="appeal")


def init_app(app: Flask) -> None:
    """Register the feature with the app."""
    app.register_blueprint(bp)


from campaign.appeal import models, routes  # noqa: E402,F401
