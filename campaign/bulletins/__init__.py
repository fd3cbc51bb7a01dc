"""Bulletins: written, tested and sent from the organisers' room; the public archive."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("bulletins", __name__, cli_group="bulletins")


def init_app(app: Flask) -> None:
    """Register the feature: blueprint (room pages and the public archive) and CLI."""
    app.register_blueprint(bp)


from campaign.bulletins import cli, models, routes  # noqa: E402,F401
