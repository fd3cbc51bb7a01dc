"""Meetings: public events with RSVPs, calendars and reports; organisers' pages for them."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from campaign.events import admin, models, routes  # noqa: F401  (their pages join the blueprints)
from campaign.events.blueprint import admin_bp, bp
from campaign.events.services import utc_to_london
from campaign.safe_markdown import render_markdown


def event_time(value: dt.datetime, ends_only: bool = False) -> str:
    """ "Saturday 5 December 2026, 7pm" (or "9:30pm" alone for an end on the same day)."""
    hour = value.strftime("%I").lstrip("0") or "12"
    clock = f"{hour}{value:%p}" if value.minute == 0 else f"{hour}:{value:%M%p}"
    clock = clock.lower()
    if ends_only:
        return clock
    return f"{value:%A} {value.day} {value:%B %Y}, {clock}"


def init_app(app: Flask) -> None:
    """Register the public and the organisers' blueprints and the templates' helpers."""
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.add_template_filter(event_time, "eventtime")
    app.add_template_filter(utc_to_london, "london")
    app.add_template_filter(render_markdown, "safe_markdown")
