"""Statements and news written in the organisers' room; the Atom feed of all news."""

from __future__ import annotations

from flask import Flask

from campaign.news import models, routes  # noqa: F401  (the pages join bp)
from campaign.news.blueprint import bp


def init_app(app: Flask) -> None:
    """Register the feature's blueprint (room pages and the feed)."""
    app.register_blueprint(bp)
