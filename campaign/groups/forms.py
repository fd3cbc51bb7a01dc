"""The affiliation form and the directory's filters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import has_request_context, request
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from campaign.forms import EmailAddress, NoControlCharacters, clean_line, clean_text
from campaign.groups.models import GROUP_KINDS, GROUP_REGIONS, MAX_REPRESENTATIVES

PLEASE_CHOOSE = SelectChoice("", "Choose one")
KIND_CHOICES = [PLEASE_CHOOSE] + [SelectChoice(k, labels[0]) for k, labels in GROUP_KINDS.items()]
REGION_CHOICES = [PLEASE_CHOOSE] + [SelectChoice(k, label) for k, label in GROUP_REGIONS.items()]
REPRESENTATIVE_KEY = re.compile(r"representatives-(\d+)-")
INDEX_DIGITS = 3  # longer indices are refused before int() (Python caps int() at 4300 digits)


class RepresentativeList(FieldList):
    """A FieldList that ignores absurd indices instead of failing on them."""

    def _extract_indices(self, prefix: str, formdata: Any) -> Iterator[int]:
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix + "-"):
                index = key[offset:].split("-", 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= INDEX_DIGITS:
                    yield int(index)


PHONE = re.compile(r"\+?[0-9 ()\-.]{6,40}")
HOSTNAME_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*:", re.IGNORECASE)
MAX_MEMBERS = 10_000_000
SERVICE_FIELDS = (
    "name",
    "kind",
    "region",
    "town",
    "website",
    "contact_name",
    "contact_email",
    "contact_phone",
    "members",
    "decided_how",
    "statement",
)


def _hostname_ok(host: str) -> bool:
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(labels) >= 2 and all(HOSTNAME_LABEL.fullmatch(label) for label in labels)


def clean_website(value: Any) -> Any:
    """Field filter: trim, and add https:// to an address typed without a scheme."""
    value = clean_line(value)
    if isinstance(value, str) and not SCHEME.match(value):
        value = f"https://{value}"
    return value


class WebsiteAddress:
    """A public http(s) address with a real host name: no other scheme, no user name."""

    message = "Enter the website's address starting with http:// or https://."

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if not value:
            return
        if any(c.isspace() for c in value):
            raise ValidationError("A website address cannot contain spaces.")
        try:
            parts = urlsplit(value)
            host = parts.hostname or ""
            parts.port  # noqa: B018  (raises ValueError for a bad port)
        except ValueError as exc:
            raise ValidationError(self.message) from exc
        if parts.scheme.lower() not in ("http", "https"):
            raise ValidationError("The website must be an http:// or https:// address.")
        if "@" in parts.netloc:
            raise ValidationError("Enter the website's address without a user name.")
        if not _hostname_ok(host):
            raise ValidationError("Enter the website's full address, such as https://example.org.")


class PhoneNumber:
    """Digits with the usual separators, and enough digits to dial."""

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if value and (not PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < 6):
            raise ValidationError("Enter a phone number using digits, spaces and + only.")


class RepresentativeForm(Form):
    """One representative: a name and an e-mail address, or neither."""

    name = StringField(
        "Name",
        filters=[clean_line],
        validators=[Optional(), Length(max=100), NoControlCharacters()],
    )
    email = StringField(
        "E-mail",
        filters=[clean_line],
        validators=[Optional(), Length(max=254), NoControlCharacters()],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.name.data and not self.email.data:
            self.email.errors.append("Enter this representative's e-mail address.")
            return False
        if self.email.data and not self.name.data:
            self.name.errors.append("Enter this representative's name.")
            return False
        if ok and self.email.data:
            try:
                EmailAddress()(self, self.email)
            except ValidationError as exc:
                self.email.errors.append(str(exc))
                return False
        return ok


class AffiliationForm(FlaskForm):
    """Every field SPEC section 6 asks of a group that affiliates."""

    name = StringField(
        "Name of the group",
        filters=[clean_line],
        validators=[
            DataRequired("Enter the name of your group."),
            Length(min=2, max=150, message="The group's name must be 2 to 150 characters."),
            NoControlCharacters(),
        ],
    )
    kind = SelectField(
        "Kind of group",
        choices=KIND_CHOICES,
        invalid_choice_message="Choose one of the kinds of group listed.",
        validators=[DataRequired("Choose the kind of group.")],
    )
    region = SelectField(
        "Region",
        choices=REGION_CHOICES,
        invalid_choice_message="Choose one of the regions listed, or National (UK-wide).",
        validators=[DataRequired("Choose your region, or National (UK-wide).")],
    )
    town = StringField(
        "Town or city",
        filters=[clean_line],
        validators=[Optional(), Length(max=100), NoControlCharacters()],
    )
    website = StringField(
        "Website",
        filters=[clean_website],
        validators=[Optional(), Length(max=300), NoControlCharacters(), WebsiteAddress()],
    )
    contact_name = StringField(
        "Contact name",
        filters=[clean_line],
        validators=[
            DataRequired("Enter the name of the person we should contact."),
            Length(max=100),
            NoControlCharacters(),
        ],
    )
    contact_email = StringField(
        "Contact e-mail",
        filters=[clean_line],
        validators=[
            DataRequired("Enter the contact's e-mail address."),
            Length(max=254),
            NoControlCharacters(),
            EmailAddress(),
        ],
    )
    contact_phone = StringField(
        "Contact phone",
        filters=[clean_line],
        validators=[Optional(), Length(max=40), NoControlCharacters(), PhoneNumber()],
    )
    members = IntegerField(
        "Approximate number of members",
        validators=[
            Optional(),
            NumberRange(0, MAX_MEMBERS, message="Enter a number of members from 0 to 10,000,000."),
        ],
    )
    # Labelled in the singular: the error summary names "Representative 2, e-mail".
    representatives = RepresentativeList(
        FormField(RepresentativeForm),
        label="Representative",
        min_entries=MAX_REPRESENTATIVES,
        max_entries=3,
    )
    decided_how = StringField(
        "How the affiliation was decided",
        filters=[clean_line],
        validators=[
            DataRequired("Tell us how your group decided to affiliate."),
            Length(max=500),
            NoControlCharacters(),
        ],
    )
    statement = TextAreaField(
        "A short statement",
        filters=[clean_text],
        validators=[Optional(), Length(max=1000), NoControlCharacters(multiline=True)],
    )
    # A field people never see; bots fill it in.
    fax_number = StringField("Leave this empty", validators=[Optional(), Length(max=100)])

    def validate_representatives(self, field: Field) -> None:
        # FieldList silently drops entries past max_entries; a crafted fourth is refused.
        indices = [m.group(1) for key in request.form if (m := REPRESENTATIVE_KEY.match(key))]
        if any(len(i) > INDEX_DIGITS or int(i) >= MAX_REPRESENTATIVES for i in indices):
            raise ValidationError(f"You can name at most {MAX_REPRESENTATIVES} representatives.")

    def service_data(self) -> dict[str, Any]:
        """The validated answers as `register_group` takes them."""
        data = {name: self[name].data for name in SERVICE_FIELDS}
        data["representatives"] = [
            {"name": entry.form.name.data, "email": entry.form.email.data}
            for entry in self.representatives
            if entry.form.name.data
        ]
        return data


class GroupDetailsForm(AffiliationForm):
    """The affiliation form's fields and checks, as organisers edit or add a group."""

    fax_number = None  # no honeypot behind the log-in
    decided_how = StringField(
        "How the affiliation was decided",
        filters=[clean_line],
        validators=[Optional(), Length(max=500), NoControlCharacters()],
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._raw = args[0] if args else kwargs.get("formdata")

    def validate_representatives(self, field: Any) -> None:
        # The public form's check, on whatever form data this one was given (a request or
        # an import row): a fourth representative is refused, never silently dropped.
        source = self._raw
        if source is None:
            source = request.form if has_request_context() else {}
        indices = [m.group(1) for key in source if (m := REPRESENTATIVE_KEY.match(key))]
        if any(len(i) > INDEX_DIGITS or int(i) >= MAX_REPRESENTATIVES for i in indices):
            raise ValidationError(f"A group names at most {MAX_REPRESENTATIVES} representatives.")
