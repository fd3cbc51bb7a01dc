"""The sign form and the bulletin form."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from campaign.appeal.models import LABOUR_MEMBER_CHOICES
from campaign.appeal.services import SignatureDetails, clean_source, is_referral_code
from campaign.email_address import MAX_LENGTH as EMAIL_MAX
from campaign.forms import EmailAddress, NoControlCharacters, clean_line, clean_text
from campaign.regions import normalise_postcode, region_for_postcode

# Offered through a <datalist>: suggestions, not a closed list.
TRADE_UNIONS = (
    "Unite",
    "UNISON",
    "GMB",
    "Communication Workers Union (CWU)",
    "National Education Union (NEU)",
    "PCS",
    "RMT",
    "ASLEF",
    "TSSA",
    "Fire Brigades Union (FBU)",
    "Bakers, Food and Allied Workers Union (BFAWU)",
    "University and College Union (UCU)",
    "Musicians' Union",
    "Equity",
    "National Union of Journalists (NUJ)",
    "Community",
    "Usdaw",
    "Prospect",
    "Royal College of Nursing (RCN)",
    "Independent Workers' Union of Great Britain (IWGB)",
)
UK_NAMES = {
    "uk",
    "u.k.",
    "united kingdom",
    "great britain",
    "britain",
    "gb",
    "england",
    "scotland",
    "wales",
    "northern ireland",
}
REASON_MAX = 280


def _choices(pairs: dict[str, str]) -> list[SelectChoice]:
    # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice.
    return [SelectChoice(value, label) for value, label in pairs.items()]


def _line(label: str, max_length: int, required: bool | None = False, **kw: Any) -> StringField:
    # required=None: neither required nor optional, for fields whose own method decides.
    # DataRequired, not InputRequired: it sees the value after trimming, so "   " is empty.
    first: dict[bool | None, list[Any]] = {
        True: [DataRequired(f"Enter your {label.lower()}.")],
        False: [Optional()],
    }
    return StringField(
        label,
        filters=[clean_line],
        validators=[
            *first.get(required, []),
            Length(max=max_length, message=f"Keep this to {max_length} characters or fewer."),
            NoControlCharacters(),
        ],
        **kw,
    )


class BulletinForm(FlaskForm):
    """E-mail only; the address is confirmed by a link before anything is sent."""

    email = StringField(
        "Your e-mail address",
        filters=[clean_line],
        validators=[
            InputRequired("Enter your e-mail address."),
            Length(max=EMAIL_MAX, message="That e-mail address is too long."),
            NoControlCharacters(),
            EmailAddress(),
        ],
    )
    # Honeypot: people never see it; a bot that fills it is told it succeeded.
    website = StringField("Leave this empty", validators=[Optional(), Length(max=200)])


class DetailsForm(FlaskForm):
    """Everything about a signature except the e-mail address."""

    first_name = _line("First name", 100, required=True)
    last_name = _line("Last name", 100, required=True)
    postcode = StringField(
        "UK postcode",
        filters=[clean_line],
        # Not Optional(): that would skip validate_postcode, which decides.
        validators=[Length(max=10, message="That is too long for a postcode.")],
    )
    outside_uk = BooleanField("I live outside the UK")
    country = _line("Country", 100, required=None)
    labour_member = RadioField(
        "Are you a member of the Labour Party?",
        choices=_choices(LABOUR_MEMBER_CHOICES),
        validators=[InputRequired("Say whether you are a Labour Party member.")],
    )
    trade_union = _line("Trade union (optional)", 100)
    reason = TextAreaField(
        "Why I signed (optional)",
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=REASON_MAX, message=f"Keep this to {REASON_MAX} characters or fewer."),
            NoControlCharacters(multiline=True),
        ],
    )
    show_publicly = BooleanField("Show my first name and area on the site")
    bulletin = BooleanField("Send me the bulletin by e-mail")

    def validate_postcode(self, field: StringField) -> None:
        if self.outside_uk.data:
            field.data = None  # the postcode of someone abroad is not kept
            return
        if not field.data:
            raise ValidationError("Enter your postcode, or tick “I live outside the UK”.")
        normalised = normalise_postcode(field.data)
        if normalised is None:
            raise ValidationError("Enter a UK postcode such as SW1A 1AA.")
        if region_for_postcode(normalised) is None:
            raise ValidationError(
                "We do not recognise that postcode area. If you live outside the UK "
                "(the Channel Islands and the Isle of Man included), tick “I live outside the UK”."
            )
        field.data = normalised

    def validate_country(self, field: StringField) -> None:
        if not self.outside_uk.data:
            field.data = None
            return
        if not field.data:
            raise ValidationError("Enter the country you live in.")
        if field.data.strip().lower() in UK_NAMES:
            raise ValidationError("If you live in the UK, untick the box and enter your postcode.")

    def details(self, email: str) -> SignatureDetails:
        """The validated answers as the service takes them."""
        return SignatureDetails(
            email=email,
            first_name=self.first_name.data,
            last_name=self.last_name.data,
            postcode=None if self.outside_uk.data else self.postcode.data,
            country=self.country.data if self.outside_uk.data else None,
            labour_member=self.labour_member.data,
            trade_union=self.trade_union.data,
            reason=self.reason.data,
            show_publicly=bool(self.show_publicly.data),
            bulletin_consent=bool(self.bulletin.data),
            referred_by=getattr(self, "ref", None) and self.ref.data,
            source=getattr(self, "source", None) and self.source.data,
        )


class SignForm(DetailsForm):
    """The appeal's sign form."""

    email = BulletinForm.email
    website = BulletinForm.website
    # Any well-formed code is carried through the form whether or not it exists, so the
    # page cannot be used to test codes; unknown ones are dropped when signing.
    ref = HiddenField(filters=[lambda v: v if is_referral_code(v) else None])
    # Carried from the link's `?source=` (or a `?ref=` that is not a code); cut, never refused.
    source = HiddenField(filters=[clean_source])


def honeypot_filled(form: BulletinForm | SignForm) -> bool:
    """Whether the invisible field was filled in, as only a bot would."""
    return bool((form.website.data or "").strip())


class ImportedDetailsForm(DetailsForm):
    """The sign form's own checks, applied to one row of a supporter import.

    Not a request (no CSRF). A bulletin-only row (no signature) may leave the names and
    the postcode empty, and a list kept before the site may not say whether someone is a
    Labour member; everything a row does say is checked as the form checks it.
    """

    class Meta:
        csrf = False

    first_name = _line("First name", 100)
    last_name = _line("Last name", 100)
    labour_member = RadioField(
        "Labour Party member", choices=_choices(LABOUR_MEMBER_CHOICES), validators=[Optional()]
    )

    def __init__(self, formdata: Any, signature: bool) -> None:
        super().__init__(formdata=formdata)
        self.signature = signature

    def validate_first_name(self, field: StringField) -> None:
        if self.signature and not field.data:
            raise ValidationError("A signature needs a first name.")

    def validate_last_name(self, field: StringField) -> None:
        if self.signature and not field.data:
            raise ValidationError("A signature needs a last name.")

    def validate_postcode(self, field: StringField) -> None:
        if not self.signature and not field.data and not self.outside_uk.data:
            field.data = None  # a bulletin subscriber need not say where they live
            return
        super().validate_postcode(field)
