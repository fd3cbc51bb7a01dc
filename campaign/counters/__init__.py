"""Live numbers: the counters partial, the stats API and the public numbers page."""

from flask import Blueprint, Flask

bp = Blueprint("counters", __name__, cli_group="counters")


def init_app(app: Flask) -> None:
    """Register the feature with the app."""
    app.register_blueprint(bp)


from campaign.counters import models, routes  # noqa: E402,F401
