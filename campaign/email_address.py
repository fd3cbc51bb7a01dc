"""E-mail addresses: syntax check without DNS, the address to send to, and its canonical key."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

# Providers that ignore dots and "+tags" in the local part, so one person has one key.
GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
MAX_LENGTH = 254


class InvalidEmail(ValueError):
    """The address is not a valid e-mail address; the message says why, for the form."""


def normalise_email(raw: str) -> tuple[str, str]:
    """Return (address to send to, canonical key) or raise InvalidEmail.

    The address keeps the local part as typed with the domain lower-cased; the key is
    lower-cased throughout and, for Gmail, has dots and any "+tag" removed.
    """
    raw = (raw or "").strip()
    if not raw:
        raise InvalidEmail("Enter your e-mail address.")
    if len(raw) > MAX_LENGTH:
        raise InvalidEmail("That e-mail address is too long.")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"Enter a valid e-mail address ({exc}).") from exc
    local, domain = result.local_part, result.domain.lower()
    address = f"{local}@{domain}"
    key_local = local.lower()
    if domain in GMAIL_DOMAINS:
        key_local = key_local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return address, f"{key_local}@{domain}"


def canonical_email(raw: str) -> str:
    """The canonical key of an address (see `normalise_email`)."""
    return normalise_email(raw)[1]
