"""Error pages in one place: HTML for people, JSON for the API, a rollback on 500."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from campaign.extensions import db

MESSAGES = {
    400: ("Something was wrong with that request", "Please go back and try again."),
    403: ("Not allowed", "You do not have permission to see this page."),
    404: ("Page not found", "We could not find that page. It may have moved."),
    405: ("Not allowed", "That page cannot be used this way."),
    413: ("Too much data", "What you sent was too large. Please shorten it and try again."),
    429: ("Too many requests", "You have done that too often. Please wait and try again."),
    500: ("Something went wrong", "Sorry, something went wrong on our side. Please try again."),
}

# The error statuses that base.html's htmx-config swaps in like a success.
HTMX_SWAPPED_ERRORS = {400, 409, 422, 429}


def _wants_json() -> bool:
    # Only a client that ranks JSON above HTML gets JSON: htmx and many tools send "*/*".
    accept = request.accept_mimetypes
    return request.path.startswith("/api/") or accept["application/json"] > accept["text/html"]


def render_error(code: int, message: str | None = None, retry_after: int | None = None):
    """The error page (or JSON) for an HTTP status, with an optional specific message."""
    title, default = MESSAGES.get(code, (f"Error {code}", "Something went wrong."))
    message = message or default
    if _wants_json():
        response = jsonify(error=title, message=message, status=code)
        response.status_code = code
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
    return response


def init_errors(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            "This form had expired or was not sent from this site. "
            "Please reload the page and submit it again.",
        )

    @app.errorhandler(429)
    def rate_limited(error: HTTPException):
        retry = getattr(error, "retry_after", None)
        headers_retry = None
        if error.response is not None:
            headers_retry = error.response.headers.get("Retry-After")
        seconds = int(retry or headers_retry or 60)
        minutes = max(1, round(seconds / 60))
        response = render_error(
            429,
            f"You have done that too often. Please try again in about "
            f"{minutes} minute{'s' if minutes != 1 else ''}.",
            retry_after=seconds,
        )
        if isinstance(response, tuple):
            body, code = response
            return body, code, {"Retry-After": str(seconds)}
        response.headers["Retry-After"] = str(seconds)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code, error.description if error.code == 400 else None)

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        db.session.rollback()
        return render_error(500)
