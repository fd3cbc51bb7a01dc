"""The news post forms: writing a post, and publishing it (now, later, and as a bulletin)."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, Form, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from campaign.bulletins.forms import SendForm
from campaign.content import SLUG, slugify
from campaign.forms import NoControlCharacters, clean_line
from campaign.markdown_editor import body_field
from campaign.news.models import AUTHOR_MAX, SLUG_MAX, SUMMARY_MAX, TITLE_MAX
from campaign.news.services import PostDraft

MAX_TAGS = 10


def _tags(value: Any) -> Any:
    """ "Momentum, Labour Party" → ("momentum", "labour-party"): slugs, no repeats."""
    if not isinstance(value, str):
        return value
    seen: list[str] = []
    for part in value.split(","):
        tag = slugify(part)
        if tag and tag not in seen:
            seen.append(tag)
    return tuple(seen)


class SlugShape:
    def __call__(self, form: Form, field: Field) -> None:
        if field.data and not SLUG.match(field.data):
            raise ValidationError(
                "The address may hold only small letters, digits and single hyphens, "
                "such as conference-statement-2026."
            )


class PostForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[clean_line],
        validators=[DataRequired("Write a title."), Length(max=TITLE_MAX), NoControlCharacters()],
    )
    slug = StringField(
        "Address",
        description="The post's address: /news/… Left empty, it is made from the title. "
        "It cannot change once saved.",
        filters=[clean_line, lambda v: v.lower() if isinstance(v, str) else v],
        validators=[Optional(), Length(max=SLUG_MAX), SlugShape()],
    )
    author = StringField(
        "Author",
        filters=[clean_line],
        validators=[
            DataRequired("Name the author."),
            Length(max=AUTHOR_MAX),
            NoControlCharacters(),
        ],
    )
    summary = TextAreaField(
        "Summary",
        description="One or two sentences, shown in lists, the feed and link previews.",
        filters=[clean_line],
        validators=[
            DataRequired("Write a summary."),
            Length(max=SUMMARY_MAX, message=f"Keep the summary under {SUMMARY_MAX} characters."),
            NoControlCharacters(),
        ],
    )
    tags = StringField(
        "Tags",
        description="Separated by commas, such as: momentum, labour party",
        filters=[_tags],
    )
    body = body_field("The post", "post")

    def validate_tags(self, field: StringField) -> None:
        if field.data and len(field.data) > MAX_TAGS:
            raise ValidationError(f"At most {MAX_TAGS} tags.")
        if field.data and any(len(t) > 40 for t in field.data):
            raise ValidationError("Keep each tag under 40 characters.")

    def slug_or_title(self) -> str:
        slug = self.slug.data or slugify(self.title.data or "")[:SLUG_MAX].strip("-")
        return re.sub(r"-{2,}", "-", slug)

    def draft(self, slug: str) -> PostDraft:
        return PostDraft(
            slug=slug,
            title=self.title.data,
            author=self.author.data,
            summary=self.summary.data,
            tags=tuple(self.tags.data or ()),
            body_markdown=self.body.data,
        )


class PublishForm(SendForm):
    when = RadioField(
        "When",
        choices=[
            SelectChoice("now", "Publish now"),
            SelectChoice("later", "Publish at a set time"),
        ],
        default="now",
        validators=[DataRequired("Choose when to publish it.")],
    )
    as_bulletin = BooleanField(
        "Also mail it as a bulletin to every bulletin subscriber, when it appears"
    )
