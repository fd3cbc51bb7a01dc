"""Reach: the embeds for allies' sites, the /share page and the share card image."""

from __future__ import annotations

from flask import Flask

from campaign.counters import CrowdSessions
from campaign.share import routes  # noqa: F401  (the pages join bp)
from campaign.share.blueprint import DEFAULTS, bp

# Pages shown inside other sites' frames, and the card image social sites fetch: they never
# read or write a session, so they send no cookie (one a browser would block as third-party).
COOKIELESS_PATHS = frozenset(
    {"/embed/counter", "/embed/sign", "/embed/sign/thanks", "/share/card.png"}
)


def init_app(app: Flask) -> None:
    """Register the feature: blueprint, settings, and session-free embed paths."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)
    app.session_interface = CrowdSessions(app.session_interface, COOKIELESS_PATHS)
