"""gunicorn's access log without personal links or client addresses.

The personal links (confirm, my data, unsubscribe) carry signed tokens in their paths
and query strings; anyone reading the log could use them. `RedactingLogger` replaces
every token-shaped path segment and every query value before the line is written, and
never logs the client address (the privacy notice promises IPs are kept only hashed).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# Request headers that carry the client address, as gunicorn names their atoms.
FORWARDED_HEADERS = ("{x-forwarded-for}i", "{x-real-ip}i", "{forwarded}i")
# A signed token (itsdangerous, URL-safe base64): long, and with upper-case letters,
# which the site's own paths and slugs never have.
TOKEN_SEGMENT = re.compile(r"(?<=/)(?=[A-Za-z0-9_.=-]*[A-Z])[A-Za-z0-9_.=-]{20,}")


def redact_target(target: str) -> str:
    """A request target (path and query) with tokens and query values replaced."""
    path, _, query = target.partition("?")
    path = TOKEN_SEGMENT.sub(REDACTED, path)
    if not query:
        return path
    # Query values may be tokens (`?t=`) or what an organiser searched for: keep the names.
    names = [(name, REDACTED) for name, _ in parse_qsl(query, keep_blank_values=True)]
    return f"{path}?{urlencode(names, safe='[]')}" if names else f"{path}?{REDACTED}"


class RedactingLogger(Logger):
    """gunicorn's logger, with tokens, query values and addresses kept out of access lines."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        target = redact_target(environ.get("RAW_URI") or environ.get("PATH_INFO") or "")
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {target} {environ.get('SERVER_PROTOCOL')}"
        atoms["U"] = TOKEN_SEGMENT.sub(REDACTED, environ.get("PATH_INFO") or "")
        atoms["q"] = redact_target("?" + (environ.get("QUERY_STRING") or ""))[1:]
        atoms["f"] = redact_target(environ.get("HTTP_REFERER") or "-")
        atoms["h"] = "-"
        for header in FORWARDED_HEADERS:
            if header in atoms:
                atoms[header] = "-"
        return atoms
