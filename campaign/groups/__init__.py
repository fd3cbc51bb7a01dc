"""Group affiliations: the form, confirmation, the directory and review services."""

from flask import Blueprint, Flask

bp = Blueprint("groups", __name__, url_prefix="/groups", cli_group="groups")


def init_app(app: Flask) -> None:
    """Register the feature with the app, and its template filter for counts of groups."""
    from campaign.groups.services import kind_count_label

    app.register_blueprint(bp)
    app.add_template_global(kind_count_label, "group_kind_count")


from campaign.groups import models, routes  # noqa: E402,F401
