"""The events' blueprints, apart from the package so its modules can import them."""

from __future__ import annotations

from flask import Blueprint

# No url_prefix: the calendar of all events is `/events.ics`, beside `/events`.
bp = Blueprint("events", __name__)
# The organisers' pages for events live with the feature, under the organisers' room.
admin_bp = Blueprint("events_admin", __name__, url_prefix="/organisers/events")
