"""A one-second cache of finished public responses, in front of Flask, for crowds.

When an appeal goes viral nearly every request is a first visit: no cookie, the same
page as everyone else's. Building that page again for each visitor (routing, hooks,
Jinja, WTForms) costs 10-30 times what answering from memory does, so views that are
the same for every visitor without a cookie are marked `@crowd_cached`, and this WSGI
layer keeps each one's finished response for CROWD_CACHE_SECONDS (default 1 s) per
process. It is the in-process twin of the proxy micro-cache in deploy/nginx.

Only a GET with no Cookie and no Authorization header is answered from the cache (with
a Cookie too for views marked `cookies_too`, which never touch the session), and only a
200 that set no cookie, or set just a fresh session holding a CSRF token, is kept. Such
a page is kept with its token cut out: every visitor served from it gets a token and
session cookie of their own, made exactly as Flask-WTF and Flask make them, so forms
keep working and no two visitors share a token. The key holds the host, the
scheme, the path, the query string and the request headers the response varies on.
`If-None-Match` is answered with 304 from the cache too.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, request
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

CACHEABLE = "campaign.crowd_cache"  # set in the WSGI environ by @crowd_cached views
ANONYMOUS, EVERYONE = "anonymous", "everyone"  # its values: for visitors without a cookie, or all
TOKEN = "campaign.crowd_cache.csrf"  # the page's CSRF token, noted after the request
MAX_ENTRIES = 512
# Headers of the request that can change a response without being named in its Vary.
KEY_HEADERS = ("HTTP_HOST", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO", "HTTP_HX_REQUEST")

StartResponse = Callable[..., Any]


def crowd_cached(view: Callable[..., Any] | None = None, *, cookies_too: bool = False) -> Any:
    """Mark a view whose GET answer is the same for every visitor who has no cookie.

    `@crowd_cached(cookies_too=True)`: the same for every visitor, cookie or not; for
    views that never touch the session (the live counters a crowd's browsers poll while
    holding the session cookie the sign form gave them).
    """

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def marked(*args: Any, **kwargs: Any) -> Any:
            if request.method == "GET":
                request.environ[CACHEABLE] = EVERYONE if cookies_too else ANONYMOUS
            return view(*args, **kwargs)

        return marked

    return mark(view) if view is not None else mark


@dataclass(frozen=True)
class Entry:
    """A finished response: its body cut at the CSRF token, if it carried one."""

    expires: float
    status: str
    headers: list[tuple[str, str]]
    parts: tuple[bytes, ...]  # the body, split where the token stood
    cookie_at: int | None  # index of the Set-Cookie header to remake, if any
    cookie_value: str
    etag: str | None


class CrowdCache:
    """WSGI middleware answering cookie-less GETs of `@crowd_cached` views from memory."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.wsgi_app = wsgi_app
        self.ttl = float(app.config.get("CROWD_CACHE_SECONDS", 1.0))
        self.entries: dict[tuple, Entry] = {}
        self.vary: dict[tuple, tuple[str, ...]] = {}
        self.everyone: set[tuple] = set()  # keys of views marked cookies_too
        self.lock = threading.Lock()
        self.csrf_field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        self.cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
        self._signers: tuple[URLSafeTimedSerializer, URLSafeTimedSerializer] | None = None

    # --- serving ---------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (
            self.ttl <= 0
            or environ.get("REQUEST_METHOD") != "GET"
            or "HTTP_AUTHORIZATION" in environ
        ):
            return self.wsgi_app(environ, start_response)
        base = (
            environ.get("wsgi.url_scheme"),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            *(environ.get(name) for name in KEY_HEADERS),
        )
        if "HTTP_COOKIE" in environ and base not in self.everyone:
            # Shared with cookie holders only once a `cookies_too` view has said so.
            if base in self.vary:  # kept, but for visitors without a cookie only
                return self.wsgi_app(environ, start_response)
            return self._fill(base, environ, start_response)
        vary = self.vary.get(base)
        if vary is not None:
            entry = self.entries.get((base, *(environ.get(h) for h in vary)))
            if entry is not None and time.monotonic() < entry.expires:
                return self._serve(entry, environ, start_response)
        return self._fill(base, environ, start_response)

    def _serve(
        self, entry: Entry, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if entry.etag and _etag_matches(environ.get("HTTP_IF_NONE_MATCH"), entry.etag):
            # No Content-Length: some clients would wait for that many bytes of a body a
            # 304 never has (gunicorn keeps the connection open without it).
            headers = [
                (k, v)
                for k, v in entry.headers
                if k.lower() not in ("content-type", "content-length")
            ]
            start_response("304 NOT MODIFIED", headers)
            return []
        headers = entry.headers
        if entry.cookie_at is None:
            body = entry.parts[0]
        else:
            token, cookie = self._fresh_csrf()
            body = token.encode().join(entry.parts)
            headers = list(headers)
            name, value = headers[entry.cookie_at]
            headers[entry.cookie_at] = (name, value.replace(entry.cookie_value, cookie, 1))
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(entry.status, headers)
        return [body]

    def _fresh_csrf(self) -> tuple[str, str]:
        """A new raw CSRF token: its signed form for the page and the session cookie holding it."""
        raw = hashlib.sha1(os.urandom(64)).hexdigest()  # as flask_wtf.csrf.generate_csrf
        if self._signers is None:  # made once: the secrets do not change while serving
            session = self.app.session_interface.get_signing_serializer(self.app)  # type: ignore[attr-defined]
            session.__class__ = _Uncompressed  # a random token never compresses; skip trying
            csrf = self._csrf_serializer()
            csrf.__class__ = _Uncompressed
            self._signers = (csrf, session)
        csrf, session = self._signers
        return str(csrf.dumps(raw)), str(session.dumps({self.csrf_field: raw}))

    def _csrf_serializer(self) -> URLSafeTimedSerializer:
        secret = self.app.config.get("WTF_CSRF_SECRET_KEY") or self.app.secret_key
        return URLSafeTimedSerializer(str(secret), salt="wtf-csrf-token")

    # --- filling ---------------------------------------------------------------------

    def _fill(
        self, base: tuple, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}
        # A page kept before is refilled with a full answer even for a conditional request
        # (else a crowd that all holds the ETag would never refill it), then the 304 is
        # given from the new entry.
        conditional = environ.pop("HTTP_IF_NONE_MATCH", None) if base in self.vary else None

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            mode = environ.get(CACHEABLE)
            if not mode or exc_info is not None or ("HTTP_COOKIE" in environ and mode != EVERYONE):
                captured["passed"] = True
                return start_response(status, headers, exc_info)
            captured["status"], captured["headers"] = status, headers
            return captured.setdefault("chunks", []).append

        result = self.wsgi_app(environ, capture)
        if conditional is not None:
            environ["HTTP_IF_NONE_MATCH"] = conditional
        if captured.get("passed") or "status" not in captured:
            return result
        try:
            body = b"".join([*captured.get("chunks", []), *result])
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = captured["status"], captured["headers"]
        everyone = environ.get(CACHEABLE) == EVERYONE
        entry = self._entry(status, headers, body, environ.get(TOKEN), everyone)
        if entry is not None:
            self._store(base, environ, headers, entry)
            if conditional is not None:
                return self._serve(entry, environ, start_response)
        start_response(status, headers)
        return [body]

    def _entry(
        self,
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
        token: str | None,
        everyone: bool = False,
    ) -> Entry | None:
        """What to keep of a finished response, or None if it must not be shared."""
        if not status.startswith("200"):
            return None
        if everyone and any(
            k.lower() == "set-cookie" or (k.lower() == "vary" and "cookie" in v.lower())
            for k, v in headers
        ):
            return None  # shared with cookie holders: nothing may depend on the session
        cookie_at, cookie_value = None, ""
        for index, (name, value) in enumerate(headers):
            lowered = name.lower()
            if lowered == "cache-control" and ("no-store" in value or "private" in value):
                return None
            if lowered == "set-cookie":
                if cookie_at is not None or not token:
                    return None
                cookie_value = self._csrf_only_session(value, token)
                if not cookie_value:
                    return None
                cookie_at = index
        parts = (body,) if cookie_at is None else tuple(body.split(token.encode()))  # type: ignore[union-attr]
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        return Entry(time.monotonic() + self.ttl, status, list(headers), parts, cookie_at,
                     cookie_value, etag)  # fmt: skip

    def _csrf_only_session(self, set_cookie: str, token: str) -> str:
        """The cookie's value if it is a new session holding nothing but this page's token."""
        if not set_cookie.startswith(f"{self.cookie_name}=") or "expires=" in set_cookie.lower():
            return ""
        value = set_cookie.split(";", 1)[0].split("=", 1)[1]
        try:
            session = self.app.session_interface.get_signing_serializer(self.app).loads(value)  # type: ignore[attr-defined]
            raw = self._csrf_serializer().loads(token)
        except Exception:  # noqa: BLE001 - anything unexpected: do not keep the page
            return ""
        return value if session == {self.csrf_field: raw} else ""

    def _store(
        self, base: tuple, environ: dict[str, Any], headers: list[tuple[str, str]], entry: Entry
    ) -> None:
        vary = tuple(
            sorted(
                "HTTP_" + name.strip().upper().replace("-", "_")
                for k, v in headers
                if k.lower() == "vary"
                for name in v.split(",")
                if name.strip() and name.strip().lower() != "cookie"
            )
        )
        if any(name == "HTTP_*" for name in vary):
            return
        with self.lock:
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
                self.vary.clear()
                self.everyone.clear()
            self.vary[base] = vary
            self.entries[(base, *(environ.get(h) for h in vary))] = entry
            if environ.get(CACHEABLE) == EVERYONE:
                self.everyone.add(base)

    def clear(self) -> None:
        """Forget every kept response (the counts or the content have just changed here)."""
        with self.lock:
            self.entries.clear()
            self.vary.clear()
            self.everyone.clear()


class _Uncompressed(URLSafeTimedSerializer):
    """Signs exactly as its parent, without first trying zlib on the payload (the readers,
    Flask and Flask-WTF, take compressed and uncompressed payloads alike)."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(self.serializer.dumps(obj, **self.serializer_kwargs).encode())


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def forget_crowd_responses() -> None:
    """Drop this process's kept responses (call with an app context after a change they show)."""
    cache = current_app.extensions.get("crowd_cache")
    if cache is not None:
        cache.clear()


def init_crowd_cache(app: Flask) -> None:
    """Put the cache in front of the app and note each cacheable page's CSRF token."""

    @app.after_request
    def note_csrf_token(response: Any) -> Any:
        if request.environ.get(CACHEABLE):
            field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
            request.environ[TOKEN] = g.get(field)
        return response

    cache = CrowdCache(app, app.wsgi_app)
    app.extensions["crowd_cache"] = cache
    app.wsgi_app = cache  # type: ignore[method-assign]
