"""Canonical addresses: one row per person, whatever the spelling."""

import pytest

from campaign.email_address import InvalidEmail, normalise_email


@pytest.mark.parametrize(
    ("typed", "address", "key"),
    [
        ("Ada@Example.ORG", "Ada@example.org", "ada@example.org"),
        ("  ada@example.org ", "ada@example.org", "ada@example.org"),
        ("Ada.Lovelace+appeal@gmail.com", "Ada.Lovelace+appeal@gmail.com", "adalovelace@gmail.com"),
        ("ada.lovelace@GoogleMail.com", "ada.lovelace@googlemail.com", "adalovelace@gmail.com"),
        ("ada+x@example.org", "ada+x@example.org", "ada+x@example.org"),
        ("zoë@exämple.org", "zoë@exämple.org", "zoë@exämple.org"),
    ],
)
def test_normalise(typed, address, key):
    assert normalise_email(typed) == (address, key)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "ada",
        "ada@",
        "@example.org",
        "ada@@example.org",
        "a" * 250 + "@x.org",
        "ada@example..org",
        "ada\x00@example.org",
    ],
)
def test_invalid(bad):
    with pytest.raises(InvalidEmail):
        normalise_email(bad)
