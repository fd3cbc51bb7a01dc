"""The organisers' room: login, dashboard, moderation, supporters, exports, audit."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Flask

bp = Blueprint("organisers", __name__, url_prefix="/organisers", cli_group="organisers")

IDLE_SECONDS = 30 * 60  # a session unused for this long ends


def init_app(app: Flask) -> None:
    """Register the feature: blueprint, Flask-Login, the access guard and the CLI commands."""
    from campaign.extensions import db, login_manager
    from campaign.organisers.cli import supporters_cli
    from campaign.organisers.models import Organiser

    app.config.setdefault("ORGANISER_IDLE_SECONDS", IDLE_SECONDS)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    if isinstance(lifetime, dt.timedelta):
        lifetime = lifetime.total_seconds()
    app.config["PERMANENT_SESSION_LIFETIME_SECONDS"] = int(lifetime)

    login_manager.init_app(app)
    login_manager.login_view = "organisers.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "error"
    # "strong": a session cookie replayed from another address or browser is dropped.
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_organiser(user_id: str) -> Organiser | None:
        ident, _, fingerprint = (user_id or "").partition(":")
        if not ident.isdigit():
            return None
        organiser = db.session.get(Organiser, int(ident))
        if organiser is None or not organiser.active or organiser.get_id() != user_id:
            return None
        return organiser

    app.register_blueprint(bp)
    app.cli.add_command(supporters_cli)


from campaign.organisers import affiliated, models, routes  # noqa: E402,F401
