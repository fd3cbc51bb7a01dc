"""The paper batch forms: record, correct, withdraw."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from campaign.extensions import db
from campaign.forms import NoControlCharacters, clean_line, clean_text
from campaign.groups.models import APPROVED, Group
from campaign.models import utcnow
from campaign.organisers.forms import SaneDate
from campaign.paper.models import MAX_BATCH_COUNT
from campaign.paper.services import MAX_NAMES_TEXT, events_for_paper


def _group_id(value: object) -> int | None:
    # "" (no group) → None; anything not a plain number is left for the choices to refuse.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value)
    if isinstance(value, int):
        return value
    return None if value in ("", None) else -1


class BatchForm(FlaskForm):
    """One batch of paper forms."""

    collected_on = DateField(
        "Date collected",
        validators=[InputRequired("Enter the day the forms were signed."), SaneDate()],
    )
    place = StringField(
        "Where",
        description="The meeting, stall or street, e.g. “Leeds Trades Club, AGM”.",
        filters=[clean_line],
        validators=[
            DataRequired("Say where the forms were signed."),
            Length(max=150),
            NoControlCharacters(),
        ],
    )
    group_id = SelectField(
        "Group that collected them",
        coerce=_group_id,
        invalid_choice_message="Choose one of the affiliated groups, or none.",
    )
    signatures = IntegerField(
        "Number of signatures",
        validators=[
            InputRequired("Enter how many people signed."),
            NumberRange(
                1,
                MAX_BATCH_COUNT,
                message=f"A batch holds from 1 to {MAX_BATCH_COUNT:,} signatures.",
            ),
        ],
    )
    note = StringField(
        "Note (optional)",
        filters=[clean_line],
        validators=[Optional(), Length(max=500), NoControlCharacters()],
    )

    def __init__(self, *args: Any, current_group: Group | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = db.session.execute(
            sa.select(Group.id, Group.name)
            .where(Group.status == APPROVED)
            .order_by(Group.name_normalised)
        ).all()
        current = current_group
        self.group_id.choices = [SelectChoice("", "No group")] + [
            SelectChoice(ident, name) for ident, name in groups
        ]
        if isinstance(current, Group) and current.status != APPROVED:
            # A group revoked since may stay on the batch it collected.
            self.group_id.choices.append(SelectChoice(current.id, f"{current.name} (revoked)"))


class NewBatchForm(BatchForm):
    event_id = SelectField(
        "At an event (optional)",
        coerce=_group_id,
        invalid_choice_message="Choose one of the events that took place, or none.",
    )
    names = TextAreaField(
        "Names (optional)",
        description="One signer a line: first name, last name, e-mail, postcode, consent "
        "(yes if the form's box to be kept informed is ticked). Or upload them as CSV below.",
        filters=[clean_text],
        validators=[Optional(), Length(max=MAX_NAMES_TEXT), NoControlCharacters(multiline=True)],
    )
    names_file = FileField("Names as a CSV file (optional)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event_id.choices = [SelectChoice("", "No event")] + [
            SelectChoice(ident, label) for ident, label in events_for_paper(utcnow().date())
        ]


class CorrectForm(BatchForm):
    reason = StringField(
        "Reason for the correction",
        filters=[clean_line],
        validators=[
            DataRequired("Give a reason for the correction."),
            Length(max=500),
            NoControlCharacters(),
        ],
    )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        filters=[clean_text],
        validators=[
            DataRequired("Give a reason for withdrawing the batch."),
            Length(max=500),
            NoControlCharacters(multiline=True),
        ],
    )
