"""Live numbers: the counters partial, the stats API and the public numbers page."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface, SessionInterface

from campaign.counters import cli, countlog, routes  # noqa: F401  (pages and commands join bp)
from campaign.counters.blueprint import bp
from campaign.counters.services import counters_view

# Responses that crowds poll and proxies cache: they must neither set a cookie nor carry
# `Vary: Cookie`, which would split (or, for many CDNs, forbid) the shared cache.
CROWD_PATHS = frozenset({"/partials/counters", "/api/stats.json", "/api/groups.json"})


class CrowdSessions(SessionInterface):
    """The app's session interface, except that crowd paths get a session that is never saved.

    Flask adds `Vary: Cookie` whenever anything reads the session, and Flask-Login reads it
    after every request; so instead of trusting every extension to keep off, these paths get
    an empty session, and saving it is skipped.
    """

    def __init__(self, inner: SessionInterface, paths: frozenset[str]):
        self.inner = inner
        self.paths = paths

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def open_session(self, app: Flask, request_: Any) -> Any:
        if request_.path in self.paths:
            # The inner interface is Flask's cookie one, whose session class this is.
            return cast(SecureCookieSessionInterface, self.inner).session_class()
        return self.inner.open_session(app, request_)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        if request.path in self.paths:
            return None
        return self.inner.save_session(app, session, response)

    def is_null_session(self, obj: object) -> bool:
        return self.inner.is_null_session(obj)

    def make_null_session(self, app: Flask) -> Any:
        return self.inner.make_null_session(app)


def init_app(app: Flask) -> None:
    """Register the feature, `live_counters()` for any template, and cookie-free crowd paths."""
    app.register_blueprint(bp)
    # templates/counters/_counters.html calls this when included by another page.
    app.add_template_global(counters_view, "live_counters")
    app.session_interface = CrowdSessions(app.session_interface, CROWD_PATHS)
