"""The live preview every Markdown editor in the room shares (bulletins, news posts).

It lives in the room rather than in one of the features that use it, so that neither
leans sideways on the other; it stores nothing.
"""

from __future__ import annotations

from flask import Response, request

from campaign.forms import clean_line, first_error
from campaign.htmx import render_page_or_fragment
from campaign.markdown_editor import PreviewForm
from campaign.organisers.access import allow
from campaign.organisers.blueprint import bp
from campaign.organisers.models import ORGANISER
from campaign.safe_markdown import render_parts


@bp.post("/preview")
@allow(ORGANISER)
def markdown_preview() -> Response:
    form = PreviewForm()
    ok = form.validate()
    return render_page_or_fragment(
        "organisers/markdown_preview.html",
        "_markdown_preview.html",
        200 if ok else 422,
        preview=render_parts(form.body.data) if ok and form.body.data else None,
        # A bulletin's heading is its subject; a news post's is its title.
        preview_subject=form.subject.data or clean_line(request.form.get("title")),
        preview_error=None if ok else first_error(form),
    )
