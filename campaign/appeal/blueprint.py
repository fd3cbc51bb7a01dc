"""The appeal's blueprint and settings, apart from the package so its modules can import them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("appeal", __name__, cli_group="appeal")

DEFAULTS = {
    # Per client address, and generous: a meeting of a hundred on one venue Wi-Fi (or a
    # proxy without TRUSTED_PROXIES) must all be able to sign. Floods are held instead.
    "APPEAL_SIGN_RATE_LIMIT": "120/minute;1000/hour",
    # Beyond this many sign-ups from one client address in an hour, new ones are taken
    # but held for review: not counted or shown until a moderator releases them.
    "APPEAL_HOLD_AFTER": 30,
    "APPEAL_TOKEN_RATE_LIMIT": "30/minute;300/hour",
}
