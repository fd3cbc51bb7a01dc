"""Who may open which page of the organisers' room: every view declares its role.

The guard covers every URL under /organisers/, whichever blueprint registered it, so a
feature that adds a page to the room gets the log-in check, the session expiry, the role
check and `Cache-Control: no-store` by declaring `@allow(ROLE)` and nothing else. A view
without a declaration is treated as admin-only, so a forgotten route is closed, not open.
Sessions end after ORGANISER_SESSION_SECONDS from log-in, or after ORGANISER_IDLE_SECONDS
without a request (see sessions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from campaign.organisers.models import ADMIN, ROLES
from campaign.organisers.sessions import end_this_session, mark_seen, session_expired
from campaign.organisers.two_factor import must_enrol

PUBLIC = "public"
ROOM_PREFIX = "/organisers/"
# What an admin who must set up a second factor may still open.
ENROLMENT_ENDPOINTS = {"organisers.two_factor", "organisers.logout"}
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


def in_the_room() -> bool:
    """Whether the request is for a URL of the organisers' room (any blueprint's)."""
    return request.path.startswith(ROOM_PREFIX) or request.path == ROOM_PREFIX.rstrip("/")


def to_login(message: str | None = None) -> BaseResponse:
    """Send a visitor to the log-in page; any htmx request gets a full-page redirect."""
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return send_to(url_for("organisers.login", next=back), message)


def send_to(target: str, message: str | None = None) -> BaseResponse:
    """Redirect to another page of the room, as a whole page even for htmx.

    An htmx request (a fragment, a boosted link or a form) answered with the log-in page
    would have it swapped into a table row: HX-Redirect makes htmx load it as a page.
    """
    if message:
        flash(message, "error")
    if request.headers.get("HX-Request") == "true":
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def guard_organiser_room() -> BaseResponse | None:
    """Before every view under /organisers/: log-in, session expiry and role checks."""
    if request.url_rule is None or not request.url_rule.rule.startswith(ROOM_PREFIX):
        return None  # not the room's, or no such page (a 404 that reveals nothing)
    role = required_role(request.endpoint)
    if role == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return to_login("Please log in to see that page.")
    if session_expired():
        end_this_session()
        return to_login("Your session has expired. Please log in again.")
    mark_seen()
    if must_enrol(current_user) and request.endpoint not in ENROLMENT_ENDPOINTS:
        return send_to(
            url_for("organisers.two_factor"),
            "Admins must set up two-factor log-in before using the organisers' room.",
        )
    if not current_user.has_role(role):
        abort(403)
    return None


def no_store_in_the_room(response: Response) -> Response:
    """Every answer from the room (pages, fragments, errors, exports) stays out of caches."""
    if in_the_room():
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Robots-Tag", "noindex")
    return response


def init_access(app: Flask) -> None:
    """Guard every URL under /organisers/, whichever blueprint serves it."""
    app.before_request(guard_organiser_room)
    app.after_request(no_store_in_the_room)
