"""Statements and news written in the organisers' room; the Atom feed of all news."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("news", __name__)


def init_app(app: Flask) -> None:
    """Register the feature's blueprint (room pages and the feed)."""
    app.register_blueprint(bp)


from campaign.news import models, routes  # noqa: E402,F401
