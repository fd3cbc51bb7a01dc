"""The page for an e-mailed link that cannot be used: what is wrong and where to go instead.

Every feature whose e-mails carry signed links (the appeal, affiliations, events) answers a
forged, expired or orphaned link with this one page, in the shape and status it chooses.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response, make_response, render_template, request

from campaign.errors import HTMX_SWAPPED_ERRORS
from campaign.forms import ButtonForm
from campaign.security import no_store


def link_problem(
    title: str,
    message: str | None,
    status: int,
    links: Sequence[tuple[str, str]],
    action: tuple[str, str] | None = None,
) -> Response:
    """The link-problem page with its status; `links` are (label, url) ways to go on, and
    `action` an optional (url, button label) that the page offers as a one-button form."""
    page = render_template(
        "errors/link_problem.html",
        title=title,
        message=message,
        links=links,
        action=action,
        action_form=ButtonForm() if action else None,
    )
    response = make_response(page, status)
    # htmx does not swap these statuses in, so a boosted link or button (on a my-data page
    # whose data was erased in another tab, say) would do nothing: a link goes there for
    # real; a button reloads its page, which then says what is wrong with the link.
    if request.headers.get("HX-Boosted") == "true" and status not in HTMX_SWAPPED_ERRORS:
        if request.method == "GET":
            response.headers["HX-Redirect"] = request.full_path.rstrip("?")
        else:
            response.headers["HX-Refresh"] = "true"
    return no_store(response)
