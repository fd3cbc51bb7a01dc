"""Errors in one place, answered the way they were asked, with a rollback on 500.

- An API client (or one ranking JSON first) gets JSON.
- An htmx request from a form gets a small fragment swapped into that form's own problem
  area (`templates/errors/_problem.html`), so what was typed stays where it was and the
  message says when to try again. An expired form also gets a fresh CSRF token in place.
- A full-page request gets the full error page.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from campaign.extensions import db, limiter
from campaign.htmx import is_htmx

MESSAGES = {
    400: ("Something was wrong with that request", "Please go back and try again."),
    403: ("Not allowed", "You do not have permission to see this page."),
    404: ("Page not found", "We could not find that page. It may have moved."),
    405: ("Not allowed", "That page cannot be used this way."),
    413: ("Too much data", "What you sent was too large. Please shorten it and try again."),
    429: ("Too many requests", "You have done that too often. Please wait and try again."),
    500: ("Something went wrong", "Sorry, something went wrong on our side. Please try again."),
}
EXPIRED_FORM = (
    "This form had expired or was not sent from this site. "
    "Please reload the page and submit it again."
)
EXPIRED_FORM_IN_PLACE = (
    "This form had expired. What you typed is still here: please press the button again."
)

# The error statuses that base.html's htmx-config swaps in like a success.
HTMX_SWAPPED_ERRORS = {400, 409, 413, 422, 429, 500}
# Where htmx puts an error fragment: the problem area inside the element that asked.
PROBLEM_AREA = "find .form-problem"
_ELEMENT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,80}")


@dataclass(frozen=True)
class Problem:
    """What the problem fragment shows, and where a fresh CSRF token goes (if anywhere)."""

    title: str
    message: str
    csrf_selector: str | None = None


def _wants_json() -> bool:
    # Only a client that ranks JSON above HTML gets JSON: htmx and many tools send "*/*".
    accept = request.accept_mimetypes
    return request.path.startswith("/api/") or accept["application/json"] > accept["text/html"]


def _form_selector() -> str | None:
    """A CSS selector for the element that sent this htmx request, from htmx's headers."""
    for header in ("HX-Trigger", "HX-Target"):
        element_id = request.headers.get(header, "")
        if _ELEMENT_ID.fullmatch(element_id):
            return f"#{element_id}"
    return None


def render_error(
    code: int,
    message: str | None = None,
    retry_after: int | None = None,
    *,
    title: str | None = None,
    refresh_csrf: bool = False,
) -> Response:
    """The error for an HTTP status as JSON, an htmx fragment or a full page."""
    default_title, default = MESSAGES.get(code, (f"Error {code}", "Something went wrong."))
    title = title or default_title
    message = message or default
    if _wants_json():
        response = jsonify(error=title, message=message, status=code)
        response.status_code = code
    elif is_htmx():
        response = _problem_fragment(code, title, message, refresh_csrf)
    else:
        template = "errors/404.html" if code == 404 else "errors/error.html"
        response = make_response(
            render_template(
                template, code=code, title=title, message=message, retry_after=retry_after
            ),
            code,
        )
        # htmx does not swap most error answers in (base.html's htmx-config), so a boosted
        # link to a missing page would do nothing: send the browser there for real.
        boosted = request.headers.get("HX-Boosted") == "true"
        if boosted and request.method == "GET" and code not in HTMX_SWAPPED_ERRORS:
            response.headers["HX-Redirect"] = request.full_path.rstrip("?")
    response.vary.add("HX-Request")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _problem_fragment(code: int, title: str, message: str, refresh_csrf: bool) -> Response:
    csrf_selector = None
    form = _form_selector()
    if refresh_csrf and form:
        csrf_selector = f"{form} input[name=csrf_token]"
        message = EXPIRED_FORM_IN_PLACE
    problem = Problem(title=title, message=message, csrf_selector=csrf_selector)
    response = make_response(render_template("errors/_problem.html", problem=problem), code)
    # Into the asking form's problem area, whatever its own hx-target: the typed details
    # stay. An element without such an area (a poll, say) swaps nothing and tries later.
    response.headers["HX-Retarget"] = PROBLEM_AREA
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _retry_seconds(error: HTTPException) -> int:
    retry = getattr(error, "retry_after", None)
    if retry is None and error.response is not None:
        retry = error.response.headers.get("Retry-After")
    if retry is None and isinstance(error, RateLimitExceeded):
        # The limit that refused: its window ends at reset_at (read only on refusal).
        limit = limiter.current_limit
        retry = int(limit.reset_at - time.time()) if limit is not None else None
    try:
        return max(1, int(retry or 60))
    except (TypeError, ValueError):
        return 60


def init_errors(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response:
        return render_error(400, EXPIRED_FORM, title="This form had expired", refresh_csrf=True)

    @app.errorhandler(429)
    def rate_limited(error: HTTPException) -> Response:
        seconds = _retry_seconds(error)
        minutes = max(1, round(seconds / 60))
        return render_error(
            429,
            f"You have done that too often. Please try again in about "
            f"{minutes} minute{'s' if minutes != 1 else ''}.",
            retry_after=seconds,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException:
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code, error.description if error.code == 400 else None)
        # A 405 says which methods the address does take (RFC 9110).
        valid_methods = getattr(error, "valid_methods", None)
        if valid_methods:
            response.headers["Allow"] = ", ".join(valid_methods)
        return response

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError) -> Response:
        db.session.rollback()
        return render_error(500)
