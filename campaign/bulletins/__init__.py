"""Bulletins: written, tested and sent from the organisers' room; the public archive."""

from __future__ import annotations

from flask import Flask

from campaign.bulletins import cli, models, routes  # noqa: F401  (their pages and commands join bp)
from campaign.bulletins.blueprint import bp


def init_app(app: Flask) -> None:
    """Register the feature: blueprint (room pages and the public archive) and CLI."""
    app.register_blueprint(bp)
