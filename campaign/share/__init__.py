"""Reach: the embeds for allies' sites, the /share page and the share card image."""

from __future__ import annotations

from flask import Blueprint, Flask

from campaign.counters import CrowdSessions

bp = Blueprint("share", __name__)

# Pages shown inside other sites' frames, and the card image social sites fetch: they never
# read or write a session, so they send no cookie (one a browser would block as third-party).
COOKIELESS_PATHS = frozenset(
    {"/embed/counter", "/embed/sign", "/embed/sign/thanks", "/share/card.png"}
)

DEFAULTS = {
    "EMBED_FORM_MAX_AGE": 2 * 3600,  # seconds an embedded sign form's token stays good
    "SHARE_CARD_STEP": 10,  # the card is redrawn when the count moves by this much
}


def init_app(app: Flask) -> None:
    """Register the feature: blueprint, settings, and session-free embed paths."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)
    app.session_interface = CrowdSessions(app.session_interface, COOKIELESS_PATHS)


from campaign.share import routes  # noqa: E402,F401
