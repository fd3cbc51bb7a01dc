"""Forms of the affiliated groups' pages: filters, details, fee payments, revoke, import."""

from __future__ import annotations

import decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from campaign.forms import NoControlCharacters, clean_line, clean_text
from campaign.groups.affiliated import FEE_FILTERS
from campaign.groups.forms import GroupDetailsForm
from campaign.groups.importing import MAX_BYTES
from campaign.groups.models import (
    APPROVED,
    GROUP_KINDS,
    GROUP_REGIONS,
    MAX_FEE_PENCE,
    REVOKED,
)
from campaign.organisers.forms import SaneDate

MAX_FEE_POUNDS = MAX_FEE_PENCE // 100


class AffiliatedFilterForm(FlaskForm):
    """The affiliated groups list's filters, from the query string (a GET: no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(
        "Search",
        description="Part of a group's name, or of its contact's e-mail address.",
        filters=[clean_line],
        validators=[Optional(), Length(max=150), NoControlCharacters()],
    )
    status = SelectField(
        "Status",
        choices=[SelectChoice(APPROVED, "Affiliated"), SelectChoice(REVOKED, "Revoked")],
        default=APPROVED,
        validators=[Optional()],
    )
    kind = SelectField(
        "Kind",
        choices=[SelectChoice("", "Any kind")]
        + [SelectChoice(k, labels[0]) for k, labels in GROUP_KINDS.items()],
        default="",
    )
    region = SelectField(
        "Region",
        choices=[SelectChoice("", "Any region")]
        + [SelectChoice(k, label) for k, label in GROUP_REGIONS.items()],
        default="",
    )
    fee = SelectField(
        "Fee",
        choices=[SelectChoice("", "Any")] + [SelectChoice(k, v) for k, v in FEE_FILTERS.items()],
        default="",
    )


class AddGroupForm(GroupDetailsForm):
    tell_contact = BooleanField("E-mail the contact that the affiliation is recorded")


class PaymentForm(FlaskForm):
    """A fee payment: when, how much, and the bank or receipt reference."""

    paid_on = DateField(
        "Paid on", validators=[InputRequired("Enter the day the fee was paid."), SaneDate()]
    )
    amount = DecimalField(
        "Amount (£)",
        places=2,
        validators=[
            InputRequired("Enter the amount paid, such as 500 or 500.00."),
            NumberRange(
                min=decimal.Decimal("0.01"),
                max=MAX_FEE_POUNDS,
                message=f"Enter an amount more than £0 and at most £{MAX_FEE_POUNDS:,}.",
            ),
        ],
    )
    reference = StringField(
        "Reference (optional)",
        filters=[clean_line],
        validators=[Optional(), Length(max=100), NoControlCharacters()],
    )

    @property
    def amount_pence(self) -> int:
        return int((self.amount.data * 100).to_integral_value())


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason (e-mailed to the group's contact)",
        filters=[clean_text],
        validators=[
            DataRequired("Give a reason for revoking the affiliation."),
            Length(max=500),
            NoControlCharacters(multiline=True),
        ],
    )


class RestoreForm(FlaskForm):
    note = StringField(
        "Note (optional, kept in the group's history)",
        filters=[clean_line],
        validators=[Optional(), Length(max=300), NoControlCharacters()],
    )


class ImportUploadForm(FlaskForm):
    file = FileField(
        "CSV file (UTF-8)",
        description="The first line names the columns: name, kind, region, town, website, "
        "contact_name, contact_email, contact_phone, members, decided_how, statement, and "
        "representative_1_name, representative_1_email and so on (at most three).",
        validators=[FileRequired("Choose a CSV file to import.")],
    )


class ImportCommitForm(FlaskForm):
    """The accepted preview: the file's text travels back with the button, and is checked again."""

    csv = HiddenField(
        validators=[
            DataRequired("The preview has expired; upload the file again."),
            Length(max=MAX_BYTES),
        ]
    )
    filename = HiddenField(filters=[clean_line], validators=[Optional(), Length(max=200)])
    tell_contacts = BooleanField("E-mail each new group's contact that its affiliation is recorded")
