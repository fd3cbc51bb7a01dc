"""The organisers' forms: log-in, password, moderation, supporter filters, export, erasure."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from campaign.forms import NoControlCharacters, clean_line, clean_text
from campaign.organisers.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from campaign.organisers.audit import ACTIONS
from campaign.organisers.supporters import UNKNOWN_MEMBER, SupporterFilters
from campaign.regions import AREA_NAMES, OUTSIDE_UK, REGIONS


def _choices(*pairs: tuple[str, str]) -> list[SelectChoice]:
    # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice.
    return [SelectChoice(value, label) for value, label in pairs]


class SaneDate:
    """A date this site can have seen (refuses year 1 or 9999, which break date arithmetic)."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and not 2000 <= field.data.year <= 2100:
            raise ValidationError("Give a date between 2000 and 2100.")


YES_NO_ANY = _choices(("", "Any"), ("yes", "Yes"), ("no", "No"))


class LoginForm(FlaskForm):
    email = StringField(
        "E-mail address",
        filters=[clean_line],
        validators=[
            DataRequired("Enter your e-mail address."),
            Length(max=254),
            NoControlCharacters(),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=MAX_PASSWORD_LENGTH)],
    )


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Code",
        description="The 6-digit code your authenticator app shows now, or one of your "
        "recovery codes.",
        filters=[clean_line],
        validators=[DataRequired("Enter the code."), Length(max=64), NoControlCharacters()],
    )


class EnrolForm(FlaskForm):
    code = StringField(
        "Code from the app",
        description="After adding the account to your app, type the 6-digit code it shows.",
        filters=[clean_line],
        validators=[DataRequired("Enter the code from your app."), Length(max=16)],
    )


class PasswordConfirmForm(FlaskForm):
    """A change to the account's own security that asks for the password again."""

    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password."), Length(max=MAX_PASSWORD_LENGTH)],
    )


ROLE_CHOICES = _choices(
    ("viewer", "Viewer: numbers and queue counts, no personal data"),
    ("moderator", "Moderator: reviews groups"),
    ("organiser", "Organiser: consented contacts, their export"),
    ("admin", "Admin: everything, accounts and the audit log"),
)


class InviteForm(FlaskForm):
    email = StringField(
        "E-mail address",
        filters=[clean_line],
        validators=[
            DataRequired("Enter the address to invite."),
            Length(max=254),
            NoControlCharacters(),
        ],
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default="viewer")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class AcceptInviteForm(FlaskForm):
    name = StringField(
        "Your name",
        description="How other organisers see you.",
        filters=[clean_line],
        validators=[DataRequired("Enter your name."), Length(max=100), NoControlCharacters()],
    )
    password = PasswordField(
        "Password",
        description=f"At least {MIN_PASSWORD_LENGTH} characters; a few words make a good one.",
        validators=[
            DataRequired("Choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"The password must be {MIN_PASSWORD_LENGTH} to "
                f"{MAX_PASSWORD_LENGTH} characters.",
            ),
        ],
    )
    confirm = PasswordField(
        "Password again",
        validators=[
            DataRequired("Enter the password again."),
            EqualTo("password", "The two passwords differ."),
        ],
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=MAX_PASSWORD_LENGTH)],
    )
    new = PasswordField(
        "New password",
        description=f"At least {MIN_PASSWORD_LENGTH} characters; a few words make a good one.",
        validators=[
            DataRequired("Enter a new password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"The new password must be {MIN_PASSWORD_LENGTH} to "
                f"{MAX_PASSWORD_LENGTH} characters.",
            ),
        ],
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired("Enter the new password again."),
            EqualTo("new", "The two new passwords differ."),
        ],
    )


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Reason (e-mailed to the group's contact)",
        filters=[clean_text],
        validators=[
            DataRequired("Give a reason for the rejection."),
            Length(max=500),
            NoControlCharacters(multiline=True),
        ],
    )


class FeeForm(FlaskForm):
    paid_on = DateField("Fee paid on", validators=[Optional(), SaneDate()])


class EraseForm(FlaskForm):
    reason = StringField(
        "Reason or request reference (kept in the audit log)",
        filters=[clean_line],
        validators=[Optional(), Length(max=200), NoControlCharacters()],
    )


def _region_choices() -> list[tuple[str, str]]:
    return _choices(("", "Any region"), *REGIONS.items(), (OUTSIDE_UK, AREA_NAMES[OUTSIDE_UK]))


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class SupporterFilterForm(FlaskForm):
    """The supporters list's filters, read from the query string (a GET: no CSRF)."""

    class Meta:
        csrf = False

    region = SelectField("Region", choices=_region_choices(), default="")
    confirmed = SelectField("Confirmed", choices=YES_NO_ANY, default="")
    consent = SelectField("Bulletin consent", choices=YES_NO_ANY, default="")
    member = SelectField(
        "Labour member",
        choices=_choices(
            ("", "Any"),
            ("yes", "Yes"),
            ("no", "No"),
            ("lapsed", "Lapsed or expelled"),
            (UNKNOWN_MEMBER, "Not said"),
        ),
        default="",
    )
    since = DateField("Signed up from", validators=[Optional(), SaneDate()])
    until = DateField("Signed up until", validators=[Optional(), SaneDate()])

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")

    def filters(self) -> SupporterFilters:
        """The validated filters."""
        return SupporterFilters(
            region=self.region.data or None,
            confirmed=_yes_no(self.confirmed.data),
            consent=_yes_no(self.consent.data),
            member=self.member.data or None,
            since=self.since.data,
            until=self.until.data,
        )


class SupporterSearchForm(SupporterFilterForm):
    q = StringField(
        "Search",
        description="An e-mail address, a postcode (or its first half), a last name, "
        "or a first and last name.",
        filters=[clean_line],
        validators=[Optional(), Length(max=254), NoControlCharacters()],
    )
    after = StringField(validators=[Optional(), Length(max=200)])


class ExportForm(SupporterFilterForm):
    """Export: the same filters, a format, and (admins only) everyone with a reason."""

    class Meta:
        csrf = True

    format = RadioField(
        "Format",
        choices=_choices(
            ("csv", "CSV (for mailing tools)"),
            ("csv-excel", "CSV for Excel (UTF-8 with a byte-order mark, so accents open right)"),
            ("xlsx", "Excel workbook (XLSX)"),
        ),
        default="csv",
        validators=[InputRequired()],
    )
    scope = RadioField(
        "Who",
        choices=_choices(
            ("consented", "Only supporters who agreed to be contacted"),
            ("all", "Everyone matching the filters (admins; give a reason)"),
        ),
        default="consented",
        # Optional: only admins see this choice, so an organiser's form does not send it,
        # and an absent choice means the default (only those who agreed to be contacted).
        validators=[Optional()],
    )
    reason = StringField(
        "Reason for exporting everyone",
        filters=[clean_line],
        validators=[Length(max=300), NoControlCharacters()],  # no Optional: see below
    )

    def validate_reason(self, field: StringField) -> None:
        if self.scope.data == "all" and not field.data:
            raise ValidationError("Say why you need supporters who did not agree to contact.")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(
        "Action", choices=_choices(("", "Any action"), *ACTIONS.items()), default=""
    )
    actor = StringField(
        "Who (e-mail or cli)",
        filters=[clean_line],
        validators=[Optional(), Length(max=254), NoControlCharacters()],
    )
    since = DateField("From", validators=[Optional(), SaneDate()])
    until = DateField("Until", validators=[Optional(), SaneDate()])
    before = StringField(validators=[Optional(), Length(max=20)])

    def validate_before(self, field: StringField) -> None:
        if field.data and not (
            field.data.isascii() and field.data.isdigit() and int(field.data) < 2**63
        ):
            raise ValidationError("That page link is not valid.")
