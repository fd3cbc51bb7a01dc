"""Paper signatures: batches gathered at meetings and stalls, entered by the organisers."""

from flask import Flask

from campaign.paper import models, routes  # noqa: F401  (the pages join bp)
from campaign.paper.blueprint import bp


def init_app(app: Flask) -> None:
    """Register the feature: its pages sit in the organisers' room, behind the same guard."""
    app.register_blueprint(bp)
