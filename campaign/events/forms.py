"""The events' forms: an event, an RSVP, a cancellation, a report, the door list search."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from campaign.events.models import EVENT_KINDS, MAX_CAPACITY, MIN_CAPACITY
from campaign.events.services import EventDetails, london_to_utc
from campaign.forms import EmailAddress, NoControlCharacters, clean_line, clean_text
from campaign.regions import REGIONS
from campaign.safe_markdown import markdown_problem

MAX_MARKDOWN = 20_000  # an agenda or a report; longer is refused, not cut


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class SaneYear:
    """A date this site can use (refuses year 1 or 9999, which break date arithmetic)."""

    def __call__(self, form: Form, field: Any) -> None:
        if field.data and not 2000 <= field.data.year <= 2100:
            raise ValidationError("Give a date between 2000 and 2100.")


class SafeMarkdown:
    """Refuse Markdown carrying scripts, event handlers or unsafe links, saying which."""

    def __call__(self, form: Form, field: Any) -> None:
        problem = markdown_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class EventForm(FlaskForm):
    """An event, as organisers (or a group's contact) describe it; times are London time."""

    title = StringField(
        "Title",
        filters=[clean_line],
        validators=[
            DataRequired("Give the event a title."),
            Length(max=150),
            NoControlCharacters(),
        ],
    )
    kind = SelectField(
        "Kind", choices=_choices(list(EVENT_KINDS.items())), validators=[InputRequired()]
    )
    region = SelectField(
        "Region",
        choices=_choices([("", "None (national or online)"), *REGIONS.items()]),
        validators=[Optional()],
    )
    group_id = SelectField("Hosted by", choices=[], validators=[Optional()])
    starts_at = DateTimeLocalField(
        "Starts (London time)",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=[InputRequired("Give the start date and time."), SaneYear()],
    )
    ends_at = DateTimeLocalField(
        "Ends (London time)",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=[InputRequired("Give the end date and time."), SaneYear()],
    )
    venue = StringField(
        "Address",
        description="For an event in person: shown to everyone.",
        filters=[clean_line],
        validators=[Optional(), Length(max=300), NoControlCharacters()],
    )
    online_url = URLField(
        "Joining link",
        description="For an online event: sent only to people who reply.",
        filters=[clean_line],
        validators=[Optional(), Length(max=500), URL(message="Give a whole https:// link.")],
    )
    agenda = TextAreaField(
        "Agenda (Markdown)",
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=MAX_MARKDOWN),
            NoControlCharacters(multiline=True),
            SafeMarkdown(),
        ],
    )
    capacity = IntegerField(
        "Places",
        validators=[
            InputRequired("Say how many people the event can take."),
            NumberRange(
                MIN_CAPACITY,
                MAX_CAPACITY,
                f"Give a number of places from {MIN_CAPACITY} to {MAX_CAPACITY:,}.",
            ),
        ],
    )

    def set_group_choices(self, groups: list[tuple[int, str]]) -> None:
        self.group_id.choices = _choices(
            [("", "Nobody (the campaign)")] + [(str(id_), name) for id_, name in groups]
        )

    def validate_online_url(self, field: Any) -> None:
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError("Give a whole https:// link.")

    def details(self) -> EventDetails:
        assert self.starts_at.data and self.ends_at.data
        return EventDetails(
            title=self.title.data or "",
            kind=self.kind.data or "",
            region=self.region.data or None,
            group_id=int(self.group_id.data) if self.group_id.data else None,
            starts_at=london_to_utc(self.starts_at.data),
            ends_at=london_to_utc(self.ends_at.data),
            venue=self.venue.data or None,
            online_url=self.online_url.data or None,
            agenda=self.agenda.data or "",
            capacity=int(self.capacity.data or 0),
        )


class ProposedEventForm(EventForm):
    """A group's proposal: the host is the group whose link it is."""

    group_id = HiddenField()


class RsvpForm(FlaskForm):
    """A place at an event: a name and an e-mail address (confirmed by link)."""

    name = StringField(
        "Your name",
        filters=[clean_line],
        validators=[DataRequired("Enter your name."), Length(max=100), NoControlCharacters()],
    )
    email = StringField(
        "E-mail address",
        filters=[clean_line],
        validators=[DataRequired("Enter your e-mail address."), Length(max=254), EmailAddress()],
    )
    name_me = BooleanField("Name me as present in the meeting's public report")
    also_sign = BooleanField("Also sign the appeal (we send a second link to confirm it)")
    website = StringField("Leave this empty", validators=[Optional(), Length(max=200)])

    def validate_name(self, field: Any) -> None:
        if self.also_sign.data and len((field.data or "").split()) < 2:
            raise ValidationError("Give your first and last name to sign the appeal too.")

    def first_and_last_name(self) -> tuple[str, str]:
        """The name split for the appeal: the last word is the last name."""
        first, _, last = (self.name.data or "").rpartition(" ")
        return first, last


class ProposalRequestForm(FlaskForm):
    email = StringField(
        "Your group's contact e-mail address",
        filters=[clean_line],
        validators=[DataRequired("Enter the e-mail address."), Length(max=254), EmailAddress()],
    )


class CancelEventForm(FlaskForm):
    reason = TextAreaField(
        "Why is it cancelled?",
        description="Everyone who replied is told, with these words.",
        filters=[clean_text],
        validators=[
            DataRequired("Say why: everyone who replied is told."),
            Length(max=500),
            NoControlCharacters(multiline=True),
        ],
    )


class MotionForm(Form):
    title = StringField(
        "Motion",
        filters=[clean_line],
        validators=[Optional(), Length(max=300), NoControlCharacters()],
    )
    votes_for = IntegerField("For", validators=[Optional(), NumberRange(0, 1_000_000)])
    votes_against = IntegerField("Against", validators=[Optional(), NumberRange(0, 1_000_000)])
    abstentions = IntegerField("Abstaining", validators=[Optional(), NumberRange(0, 1_000_000)])


class ReportForm(FlaskForm):
    report = TextAreaField(
        "What was decided (Markdown)",
        filters=[clean_text],
        validators=[
            DataRequired("Write what the meeting decided."),
            Length(max=MAX_MARKDOWN),
            NoControlCharacters(multiline=True),
            SafeMarkdown(),
        ],
    )
    motions = FieldList(FormField(MotionForm), min_entries=3, max_entries=30)
    groups = SelectMultipleField("Affiliated groups represented", choices=[], coerce=int)

    def validate_motions(self, field: Any) -> None:
        for entry in field.entries:
            motion = entry.form
            votes = [motion.votes_for.data, motion.votes_against.data, motion.abstentions.data]
            if not motion.title.data and any(v for v in votes):
                raise ValidationError("Give each motion with votes its title.")


class DoorSearchForm(Form):
    q = StringField("Find a name", filters=[clean_line], validators=[Optional(), Length(max=100)])
