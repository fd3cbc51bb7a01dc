"""The bulletin forms: writing one, choosing its audience, and when to send it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from campaign.appeal.models import LABOUR_MEMBER_CHOICES
from campaign.bulletins.models import SUBJECT_MAX
from campaign.bulletins.services import BulletinDraft
from campaign.forms import NoControlCharacters, clean_line
from campaign.markdown_editor import body_field
from campaign.models import utcnow
from campaign.regions import REGIONS

try:  # the organisers think in UK time; the database keeps UTC
    LOCAL_TIME: dt.tzinfo = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # a system without time zone data
    LOCAL_TIME = dt.UTC


def _choices(*pairs: tuple[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


REGION_CHOICES = _choices(("", "Every region"), *REGIONS.items())
MEMBER_CHOICES = _choices(("", "Members and non-members alike"), *LABOUR_MEMBER_CHOICES.items())


class BulletinForm(FlaskForm):
    subject = StringField(
        "Subject",
        filters=[clean_line],
        validators=[
            DataRequired("Write a subject."),
            Length(max=SUBJECT_MAX, message=f"Keep the subject under {SUBJECT_MAX} characters."),
            NoControlCharacters(),
        ],
    )
    body = body_field("The bulletin", "bulletin")
    region = SelectField("Region", choices=REGION_CHOICES, default="")
    labour_member = SelectField("Labour Party members", choices=MEMBER_CHOICES, default="")
    private = BooleanField("Private: keep it out of the public archive on the site")

    def draft(self) -> BulletinDraft:
        return BulletinDraft(
            subject=self.subject.data,
            body_markdown=self.body.data,
            region=self.region.data or None,
            labour_member=self.labour_member.data or None,
            private=bool(self.private.data),
        )


class AudienceForm(FlaskForm):
    """Only the audience fields, for the live count (a GET, so no CSRF)."""

    class Meta:
        csrf = False

    region = SelectField("Region", choices=REGION_CHOICES, default="")
    labour_member = SelectField("Labour Party members", choices=MEMBER_CHOICES, default="")


def local_to_utc(value: dt.datetime) -> dt.datetime:
    """A naive UK-time datetime from the form as naive UTC, as the database keeps it."""
    return value.replace(tzinfo=LOCAL_TIME).astimezone(dt.UTC).replace(tzinfo=None)


def utc_to_local(value: dt.datetime) -> dt.datetime:
    """A naive UTC datetime from the database in UK time, for showing."""
    return value.replace(tzinfo=dt.UTC).astimezone(LOCAL_TIME).replace(tzinfo=None)


class SendForm(FlaskForm):
    when = RadioField(
        "When",
        choices=_choices(("now", "Send now"), ("later", "Send at a set time")),
        default="now",
        validators=[DataRequired("Choose when to send it.")],
    )
    send_at = DateTimeLocalField(
        "Date and time (UK time)", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )

    def validate(self, extra_validators: Any = None) -> bool:
        # Checked here, not as a field validator: Optional() would skip an empty time, and
        # "send later" without a time must never fall through to "send now".
        valid = super().validate(extra_validators)
        if self.when.data != "later":
            self.send_at.errors = []  # the time box is ignored when sending now
            return valid and not self.when.errors and not self.form_errors
        if self.send_at.process_errors:
            self.send_at.errors = ["Give the date and time to send it, such as 2026-12-01 18:00."]
            return False
        if not valid:
            return False
        value = self.send_at.data
        if value is None:
            self.send_at.errors = ["Give the date and time to send it."]
        elif not 2000 <= value.year <= 2100:
            self.send_at.errors = ["Give a date between 2000 and 2100."]
        elif local_to_utc(value) <= utcnow():
            self.send_at.errors = ["That time has passed: choose a time in the future."]
        return not self.send_at.errors

    def send_at_utc(self) -> dt.datetime | None:
        """None for "send now"; the UTC time for "send later" (validated first)."""
        if self.when.data != "later":
            return None
        if self.send_at.data is None:
            raise ValueError("send later without a time")
        return local_to_utc(self.send_at.data)
