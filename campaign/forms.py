"""Form pieces every feature shares: clean text, no control characters, e-mail addresses."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, Form
from wtforms.validators import ValidationError

from campaign.email_address import InvalidEmail, normalise_email
from campaign.safe_markdown import markdown_problem

# Control characters other than the newline and tab a textarea may hold.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean_text(value: Any) -> Any:
    """Field filter: NFC-normalise and trim a string; empty becomes None."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value).strip()
    return value or None


def clean_line(value: Any) -> Any:
    """Field filter for one-line fields: also fold runs of white space into one space."""
    value = clean_text(value)
    if isinstance(value, str):
        value = re.sub(r"[ \t\r\n]+", " ", value)
    return value


def first_error(form: FlaskForm, nested: str = "Check the fields below.") -> str:
    """The first error message of a form that did not validate, to show above it.

    A field list's errors are lists or dicts, not words: `nested` is said for those.
    """
    for errors in form.errors.values():
        if errors:
            first = errors[0]
            return first if isinstance(first, str) else nested
    return "Something in that request was not valid."


class ButtonForm(FlaskForm):
    """A form that is only a button: the CSRF token is its one field."""


class NoControlCharacters:
    """Refuse invisible control characters (and, for one-line fields, line breaks)."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if not isinstance(value, str):
            return
        if CONTROL.search(value) or (not self.multiline and ("\n" in value or "\r" in value)):
            raise ValidationError("Remove the invisible control characters from this field.")


class EmailAddress:
    """Validate with email-validator (no DNS look-up); keep the normalised pair on the field."""

    def __call__(self, form: Form, field: Field) -> None:
        try:
            field.address, field.canonical = normalise_email(field.data or "")
        except InvalidEmail as exc:
            raise ValidationError(str(exc)) from exc


class SafeMarkdown:
    """Refuse Markdown that carries scripts, event handlers, images or unsafe links."""

    def __call__(self, form: Form, field: Field) -> None:
        if isinstance(field.data, str):
            problem = markdown_problem(field.data)
            if problem:
                raise ValidationError(problem)
