"""The organisers' room: login, dashboard, moderation, supporters, exports, audit."""

from flask import Blueprint, Flask

bp = Blueprint("organisers", __name__, url_prefix="/organisers", cli_group="organisers")


def init_app(app: Flask) -> None:
    """Register the feature with the app."""
    app.register_blueprint(bp)


from campaign.organisers import models, routes  # noqa: E402,F401
