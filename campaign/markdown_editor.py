"""The organisers' Markdown editor, shared by bulletins and news posts.

One form writes a draft: a Markdown body (checked by `body_field`), a live preview while
typing (htmx posts the body to the bulletins' preview page, which every editor shares),
a Preview button that works without JavaScript and stores nothing, and Save. The page
around it belongs to its feature; `editor_page` and `save_draft` are the parts that are
the same for every feature (templates/_markdown_editor.html is the same for the HTML).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from flask import Response, flash, request
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from campaign.extensions import db
from campaign.forms import ButtonForm, NoControlCharacters, SafeMarkdown, clean_line, clean_text
from campaign.htmx import navigate, render_page_or_fragment
from campaign.safe_markdown import render_parts

BODY_MAX = 100_000  # characters of Markdown: a long bulletin is ~10,000


def body_field(label: str, what: str) -> TextAreaField:
    """A Markdown body: required, bounded, no control characters, nothing unsafe."""
    return TextAreaField(
        label,
        description="Markdown: **bold**, *italic*, [a link](https://example.org), "
        "## a heading, - a list. No HTML, images or scripts.",
        filters=[clean_text],
        validators=[
            DataRequired(f"Write the {what}."),
            Length(
                max=BODY_MAX,
                message=f"The {what} is too long: at most {BODY_MAX:,} characters.",
            ),
            NoControlCharacters(multiline=True),
            SafeMarkdown(),
        ],
    )


class PreviewForm(FlaskForm):
    """The body alone, for the live preview (nothing is stored)."""

    subject = StringField("Subject", filters=[clean_line])
    body = TextAreaField("Body", filters=[clean_text], validators=[
        Length(max=BODY_MAX, message=f"Too long to preview: at most {BODY_MAX:,} characters."),
        NoControlCharacters(multiline=True),
        SafeMarkdown(),
    ])  # fmt: skip


def editor_page(
    page: str,
    fragment: str,
    status: int,
    form: FlaskForm,
    heading: str | None,
    show_preview: bool = False,
    **context: object,
) -> Response:
    """The editor's page (or for htmx its form), with the preview of a valid body if asked."""
    body = form["body"]
    preview = None
    if show_preview and body.data and not body.errors:
        preview = render_parts(body.data)
    return render_page_or_fragment(
        page,
        fragment,
        status,
        form=form,
        preview=preview,
        preview_subject=heading,
        button=ButtonForm(formdata=None),
        **context,
    )


class EditorPage(Protocol):
    """A feature's editor page for its form: `editor_page` with the feature's own context."""

    def __call__(
        self,
        form: FlaskForm,
        status: int = 200,
        *,
        show_preview: bool = False,
        message: str | None = None,
    ) -> BaseResponse: ...


def save_draft(
    form: FlaskForm,
    page: EditorPage,
    store: Callable[[], str],
    refused: type[Exception],
    refused_status: int,
    saved: str,
) -> BaseResponse:
    """The editor's POST: Preview shows the draft and stores nothing; Save stores it.

    `store` creates or changes the draft (or raises `refused`, answered with the form, the
    reason and `refused_status`, nothing stored) and returns the address to go to next.
    """
    wants_preview = request.form.get("action") == "preview"
    if not form.validate():
        return page(form, 422, show_preview=wants_preview)
    if wants_preview:  # the no-JavaScript preview: show it, store nothing
        return page(form, show_preview=True)
    try:
        target = store()
    except refused as exc:
        db.session.rollback()
        return page(form, refused_status, message=str(exc))
    db.session.commit()
    flash(saved, "info")
    return navigate(target)
