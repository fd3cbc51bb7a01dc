"""Live numbers: the counters partial, the stats API and the public numbers page."""

from flask import Blueprint, Flask

bp = Blueprint("counters", __name__, cli_group="counters")


def init_app(app: Flask) -> None:
    """Register the feature with the app, and `live_counters()` for any template."""
    from campaign.counters.services import counters_view

    app.register_blueprint(bp)
    # templates/counters/_counters.html calls this when included by another page.
    app.add_template_global(counters_view, "live_counters")


from campaign.counters import cli, indexes, models, routes  # noqa: E402,F401
