"""Client addresses as keyed hashes: comparable for abuse checks and limits, not reversible."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request


def hash_ip(address: str | None) -> str | None:
    """A keyed HMAC-SHA256 of an IP address: comparable for abuse checks, not reversible."""
    if not address:
        return None
    key = current_app.config["IP_HASH_KEY"].encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def client_ip_hash() -> str | None:
    """The keyed hash of the current request's client address (proxies already resolved)."""
    return hash_ip(request.remote_addr)


def keyed_hash(purpose: str, *parts: str) -> str:
    """A keyed HMAC-SHA256 of some values for one purpose (log-in throttle keys and the like)."""
    key = current_app.config["IP_HASH_KEY"].encode()
    message = "\x1f".join((purpose, *parts)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
