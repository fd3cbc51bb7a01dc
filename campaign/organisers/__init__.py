"""The organisers' room: login, dashboard, moderation, supporters, exports, audit."""

from __future__ import annotations

from flask import Flask

from campaign.extensions import db, login_manager
from campaign.organisers import (  # noqa: F401  (their pages join bp)
    account_routes,
    affiliated,
    markdown_preview,
    routes,
    supporter_import,
)
from campaign.organisers.abuse import bp as abuse_bp
from campaign.organisers.access import init_access
from campaign.organisers.blueprint import bp
from campaign.organisers.cli import supporters_cli
from campaign.organisers.groups_cli import groups_cli
from campaign.organisers.models import Organiser


def init_app(app: Flask) -> None:
    """Register the feature: blueprint, Flask-Login, the access guard and the CLI commands."""
    login_manager.init_app(app)
    login_manager.login_view = "organisers.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "error"
    # Flask-Login's own protection is off: it binds a session to the client's address as
    # read from X-Forwarded-For (which anyone can send) and, for permanent sessions, only
    # marks it stale. Sessions end instead by their generation (log-out ends every copy)
    # and by the idle and absolute lifetimes checked in access.py on every request.
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_organiser(user_id: str) -> Organiser | None:
        ident = (user_id or "").partition(":")[0]
        if not (ident.isascii() and ident.isdigit() and int(ident) < 2**63):
            return None
        organiser = db.session.get(Organiser, int(ident))
        if organiser is None or not organiser.active or organiser.get_id() != user_id:
            return None
        return organiser

    app.register_blueprint(bp)
    app.register_blueprint(abuse_bp)
    init_access(app)
    app.cli.add_command(supporters_cli)
    app.cli.add_command(groups_cli)
