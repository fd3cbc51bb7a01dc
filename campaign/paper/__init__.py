"""Paper signatures: batches gathered at meetings and stalls, entered by the organisers."""

from flask import Blueprint, Flask

bp = Blueprint("paper", __name__, url_prefix="/organisers/paper", cli_group="paper")


def init_app(app: Flask) -> None:
    """Register the feature: its pages sit in the organisers' room, behind the same guard."""
    app.register_blueprint(bp)


from campaign.paper import models, routes  # noqa: E402,F401
