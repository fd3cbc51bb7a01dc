"""Group affiliations: the form, confirmation, the directory and review services."""

from flask import Blueprint, Flask

bp = Blueprint("groups", __name__, url_prefix="/groups", cli_group="groups")


def init_app(app: Flask) -> None:
    """Register the feature with the app."""
    app.register_blueprint(bp)


from campaign.groups import models, routes  # noqa: E402,F401
