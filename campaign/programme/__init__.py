"""Programme, news and the other content pages."""

from flask import Flask

from campaign.programme import routes  # noqa: F401  (the pages join bp)
from campaign.programme.blueprint import bp


def init_app(app: Flask) -> None:
    """Register the feature's blueprint."""
    app.register_blueprint(bp)
