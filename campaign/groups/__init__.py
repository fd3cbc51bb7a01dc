"""Group affiliations: the form, confirmation, the directory and review services."""

from flask import Flask

from campaign.groups import models, routes  # noqa: F401  (the pages join bp)
from campaign.groups.blueprint import bp
from campaign.groups.services import kind_count_label


def init_app(app: Flask) -> None:
    """Register the feature with the app, and its template filter for counts of groups."""
    app.register_blueprint(bp)
    app.add_template_global(kind_count_label, "group_kind_count")
