"""Security helpers shared by every feature: headers, signed tokens, keyed IP hashes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar
from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, Response, abort, current_app, make_response, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

# The keyed client-address hashes live below the extensions (the rate limiter keys by
# them); features import them from here with the rest of the security helpers.
from campaign.clients import client_ip_hash as client_ip_hash
from campaign.clients import hash_ip as hash_ip
from campaign.errors import render_error
from campaign.extensions import db

Row = TypeVar("Row")


class TokenInvalid(ValueError):
    """A token was forged, mangled or made for another purpose."""


class TokenExpired(TokenInvalid):
    """A genuine token that is too old."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # The purpose is the salt, so a token made for one thing never works for another.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"campaign:{purpose}")


def make_token(purpose: str, payload: Any) -> str:
    """A signed, timestamped, URL-safe token carrying `payload` for one purpose."""
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int | None = None) -> Any:
    """The payload of a token made by `make_token` for `purpose`, or TokenInvalid/TokenExpired."""
    if not token or len(token) > 1024:
        raise TokenInvalid("malformed token")
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired("this link has expired") from exc
    except (BadSignature, UnicodeDecodeError, ValueError) as exc:
        raise TokenInvalid("this link is not valid") from exc


def make_row_token(purpose: str, row_id: int, code: str) -> str:
    """A token naming one row by its id and its random code, for one purpose."""
    # The random code travels with the id so that a token outlives neither its row nor
    # a later row that happens to reuse the id.
    return make_token(purpose, [row_id, code])


def read_row_token(purpose: str, token: str, max_age: int | None) -> tuple[int, str]:
    """The (id, random code) a `make_row_token` token names; TokenInvalid/TokenExpired.

    `row_from_token` looks the row up as well; this is the payload alone.
    """
    payload = read_token(purpose, token, max_age=max_age)
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], int)
        and isinstance(payload[1], str)
    ):
        raise TokenInvalid("this link is not valid")
    return payload[0], payload[1]


def row_from_token(
    purpose: str,
    token: str,
    max_age: int | None,
    model: type[Row],
    code_of: Callable[[Row], str],
    gone: Callable[[], Exception],
) -> Row:
    """The row a `make_row_token` token names; TokenInvalid/TokenExpired, or `gone()` if
    the row is erased (or its id now belongs to another row, with another code)."""
    row_id, code = read_row_token(purpose, token, max_age)
    row = db.session.get(model, row_id)
    if row is None or code_of(row) != code:
        raise gone()
    return row


def content_security_policy(app: Flask, frame_ancestors: str = "'none'") -> str:
    """A CSP with no inline script and only the htmx file itself as an outside script.

    No page may be framed (`frame-ancestors 'none'`) unless a route asks for a list of
    origins through `allow_framing`.
    """
    script_src = ["'self'"]
    htmx = urlsplit(app.config["HTMX_SCRIPT_URL"])
    if htmx.scheme and htmx.netloc:
        # The exact file, not the whole CDN: any other script on that host (anyone can
        # publish to npm) stays forbidden. A source ending in a file name matches only it.
        path = htmx.path.replace(";", "%3B").replace(",", "%2C").replace(" ", "%20")
        script_src.append(f"{htmx.scheme}://{htmx.netloc}{path}")
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {' '.join(script_src)}",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


def allow_framing(response: Response, origins: tuple[str, ...]) -> Response:
    """Let this response be framed by the site itself and by `origins` only (CSP level 2).

    Without X-Frame-Options, which cannot name a list; browsers that know neither header
    are too old to matter here.
    """
    ancestors = " ".join(["'self'", *origins])
    csp = content_security_policy(current_app, frame_ancestors=ancestors)
    response.headers["Content-Security-Policy"] = csp
    response.headers.pop("X-Frame-Options", None)
    return response


def no_store(response: Response) -> Response:
    """Keep a page reached by a personal link out of shared caches and search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


URLENCODED = "application/x-www-form-urlencoded"
FORM_TYPES = frozenset({URLENCODED, "multipart/form-data"})
UNREADABLE = "\ufffd"  # what bytes that are not UTF-8 become when a form is decoded


def refuse_unreadable_form() -> None:
    """Answer 400 to a posted form that holds text we could not read, before any view runs.

    Werkzeug drops a url-encoded body whose raw bytes are not UTF-8 and keeps percent-escapes
    of broken sequences as they are, so those bytes are checked here. In a multipart body,
    broken bytes in a value become U+FFFD and broken bytes in a part's header make Werkzeug
    drop the whole body: so a non-empty body that gives nothing is refused, and so is any
    field, name or file name holding U+FFFD (made of broken bytes, or sent as such).
    """
    if request.method != "POST" or request.mimetype not in FORM_TYPES:
        return
    if request.mimetype == URLENCODED:
        if not _utf8(request.get_data(cache=True)):
            _refuse_unreadable()
    elif request.content_length and not request.form and not request.files:
        _refuse_unreadable()
    fields = request.form.items(multi=True)
    files = ((name, upload.filename or "") for name, upload in request.files.items(multi=True))
    if any(UNREADABLE in name or UNREADABLE in text for name, text in (*fields, *files)):
        _refuse_unreadable()


def _utf8(urlencoded: bytes) -> bool:
    try:
        unquote_to_bytes(urlencoded.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _refuse_unreadable() -> NoReturn:
    abort(
        make_response(
            render_error(
                400,
                "Your browser sent characters we could not read (the form was not "
                "UTF-8). Please check what you typed and send it again.",
            )
        )
    )


def init_security(app: Flask) -> None:
    """Refuse unreadable forms and add the security headers to every response."""
    csp = content_security_policy(app)
    # First of the before-request hooks (before CSRF reads the form), so a body that is
    # not UTF-8 gets a clear 400 instead of being half-decoded into the database.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unreadable_form)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
