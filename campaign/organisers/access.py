"""Who may open which page of the organisers' room: every view declares its role.

A view without a declaration is treated as admin-only, so a forgotten route is closed,
not open. Sessions end after PERMANENT_SESSION_LIFETIME from log-in, or after
ORGANISER_IDLE_SECONDS without a request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user

from campaign.htmx import is_htmx
from campaign.organisers.models import ADMIN, ROLES

PUBLIC = "public"
LOGGED_IN_AT, SEEN_AT = "organiser_login_at", "organiser_seen_at"
View = TypeVar("View", bound=Callable[..., Any])


def allow(role: str) -> Callable[[View], View]:
    """Declare who may use a view: PUBLIC, or the lowest role (see ROLES) that may."""
    if role != PUBLIC and role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def declare(view: View) -> View:
        view.organiser_role = role  # type: ignore[attr-defined]
        return view

    return declare


def required_role(endpoint: str | None) -> str:
    """The role a view declared (admin when it declared none)."""
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "organiser_role", ADMIN)


def safe_next(target: str | None) -> str | None:
    """A `next` address only if it is a path inside the organisers' room (no open redirect)."""
    if target and target.startswith("/organisers/") and "//" not in target and "\\" not in target:
        return target
    return None


def to_login(message: str | None = None) -> Response:
    """Send an anonymous visitor to the log-in page (htmx: a full-page redirect)."""
    if message:
        flash(message, "error")
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    target = url_for("organisers.login", next=back)
    if is_htmx():
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _expired(now: float) -> bool:
    config = current_app.config
    logged_in_at = session.get(LOGGED_IN_AT, 0)
    seen_at = session.get(SEEN_AT, 0)
    return (
        now - logged_in_at > config["PERMANENT_SESSION_LIFETIME_SECONDS"]
        or now - seen_at > config["ORGANISER_IDLE_SECONDS"]
    )


def guard_organiser_room() -> Response | None:
    """Before every organisers' view: log-in, session expiry and role checks."""
    role = required_role(request.endpoint)
    if role == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return to_login("Please log in to see that page.")
    now = time.time()
    if _expired(now):
        logout_user()
        session.clear()
        return to_login("Your session has expired. Please log in again.")
    session[SEEN_AT] = now
    if not current_user.has_role(role):
        abort(403)
    return None
