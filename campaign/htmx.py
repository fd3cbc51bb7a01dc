"""Page or fragment: one route serves both, chosen by the HX-Request header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, flash, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse


def is_htmx() -> bool:
    """Whether htmx asked for a fragment: not a full reload, not boosted navigation."""
    headers = request.headers
    # hx-boost on <body> also sends HX-Request, but swaps the answer in as the whole body.
    return (
        headers.get("HX-Request") == "true"
        and not headers.get("HX-History-Restore-Request")
        and headers.get("HX-Boosted") != "true"
    )


def render_page_or_fragment(
    page: str, fragment: str, status: int = 200, **context: Any
) -> Response:
    """Render the fragment for htmx requests, else the full page that includes it."""
    template = fragment if is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    response.vary.add("HX-Boosted")
    return response


def navigate(target: str) -> BaseResponse:
    """After a change: a redirect, or for htmx a full-page navigation (HX-Redirect)."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def after_change(
    message: str, fragment: Callable[[str], ResponseReturnValue], target: str
) -> ResponseReturnValue:
    """After a change made from a panel: htmx gets `fragment(message)`, the panel again;
    a plain form post is redirected to `target` (PRG) with the message flashed."""
    if is_htmx():
        return fragment(message)
    flash(message, "info")
    return redirect(target)
