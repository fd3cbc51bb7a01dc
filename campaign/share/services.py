"""Embeds without cookies: where a frame is shown, and a form token that needs no session.

An embedded sign form cannot use the site's CSRF protection, which keeps its secret in the
session cookie: inside another site's page that cookie is third-party and browsers block
it. Instead (see docs/reach.md):

* the form carries a signed, short-lived token (itsdangerous, purpose "embed-sign",
  EMBED_FORM_MAX_AGE) that names the host site the form was served for; it needs no
  server-side state and no cookie, and a POST without a fresh one is refused;
* the POST must come from a page of this site: a browser sets `Origin` (and
  `Sec-Fetch-Site`) itself and no page can forge them, so a form on an attacker's page that
  posts here is refused before anything is read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

from campaign.security import TokenInvalid, make_token, read_token

EMBED_SIGN = "embed-sign"
EMBED_SOURCE = "embed"


def embed_origins() -> tuple[str, ...]:
    """The origins allowed to frame the embeds (EMBED_ORIGINS, already parsed)."""
    return tuple(current_app.config.get("EMBED_ORIGINS") or ())


def origin_of(url: str | None) -> str | None:
    """The scheme://host[:port] of a URL, lower-cased, or None if it has none."""
    if not url or len(url) > 2048:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


def host_origin(referrer: str | None) -> str | None:
    """The listed origin of the page that framed an embed (from its Referer), else None.

    Browsers send the framing page's origin as the frame's Referer under the default
    referrer policy; an unlisted or missing one is not recorded (a page that is not listed
    cannot frame the embed anyway).
    """
    origin = origin_of(referrer)
    return origin if origin in embed_origins() else None


def embed_source(host: str | None) -> str:
    """The source recorded for a signature made through the embedded form."""
    return f"{EMBED_SOURCE}:{host}" if host else EMBED_SOURCE


def embed_form_token(host: str | None) -> str:
    """A signed token for one embedded form, naming the host site it was served for."""
    return make_token(EMBED_SIGN, {"host": host or ""})


def read_embed_form_token(token: str | None) -> str | None:
    """The host site a form token names; TokenInvalid or TokenExpired if it is not good."""
    payload = read_token(
        EMBED_SIGN, token or "", max_age=int(current_app.config["EMBED_FORM_MAX_AGE"])
    )
    if not isinstance(payload, dict) or not isinstance(payload.get("host"), str):
        raise TokenInvalid("this form is not valid")
    return payload["host"] or None


def posted_from_this_site(origin: str | None, fetch_site: str | None, site: str) -> bool:
    """Whether a POST came from a page of `site` (an origin), by the headers browsers set.

    A request with neither header is not from a browser that could be tricked (curl, a
    test client): the token alone decides for it.
    """
    if origin is not None:
        return origin.lower() == site.lower()
    return fetch_site in (None, "same-origin")
