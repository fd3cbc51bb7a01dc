"""Absolute links for e-mails and share buttons, built from SITE_URL, never from the request."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` on the configured site.

    A link in an e-mail must not take its host from the request's Host header: anyone
    could then send a real supporter a real token pointing at their own server.
    """
    site = current_app.config.get("SITE_URL")
    if site:
        if has_request_context() or current_app.config.get("SERVER_NAME"):
            return site.rstrip("/") + url_for(endpoint, _external=False, **values)
        # A worker or a command (the scheduler sending bulletins) has no request to build
        # from, and url_for would refuse without SERVER_NAME: the URL map alone suffices.
        return site.rstrip("/") + current_app.url_map.bind("localhost").build(endpoint, values)
    return url_for(endpoint, _external=True, **values)  # development only (see config)
