"""Valid answers: what the site's forms and services accept, for a test to change one thing in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from campaign.models import utcnow

# --- the appeal ---------------------------------------------------------------------------


def form_data(**overrides: object) -> dict[str, object]:
    """A valid signature, with any field replaced (None drops the field)."""
    data: dict[str, object] = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "postcode": "sw1a1aa",
        "labour_member": "yes",
        "trade_union": "Unite",
        "reason": "Because Labour belongs to us.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- groups -------------------------------------------------------------------------------

# The group the groups tests affiliate, as the form asks for it and as the service takes it.
_LEEDS_LABOUR_LEFT = {
    "name": "Leeds Labour Left",
    "kind": "local-left-group",
    "region": "yorkshire",
    "town": "Leeds",
    "website": "https://leedslabourleft.example.org/",
    "contact_name": "Rosa Contact",
    "contact_email": "rosa.contact@example.org",
}


def affiliation(**overrides: Any) -> dict[str, Any]:
    """The form fields of a valid affiliation, with some replaced (None drops the field)."""
    data = {
        **_LEEDS_LABOUR_LEFT,
        "contact_phone": "0113 496 0000",
        "members": "120",
        "representatives-0-name": "Ada Rep",
        "representatives-0-email": "ada.rep@example.org",
        "representatives-1-name": "",
        "representatives-1-email": "",
        "representatives-2-name": "",
        "representatives-2-email": "",
        "decided_how": "At our AGM on 12 March, unanimously",
        "statement": "We want a democratic Labour left.\nUnited we stand.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def service_data(**overrides: Any) -> dict[str, Any]:
    """What the form hands `register_group` for a valid affiliation."""
    data = {
        **_LEEDS_LABOUR_LEFT,
        "contact_phone": None,
        "members": 120,
        "decided_how": "At our AGM",
        "statement": None,
        "representatives": [{"name": "Ada Rep", "email": "ada.rep@example.org"}],
    }
    data.update(overrides)
    return data


# --- events -------------------------------------------------------------------------------


def form_of_event(csrf: str, **values: str) -> dict[str, str]:
    """The organisers' event form, filled with a valid event in two weeks' time."""
    start = (utcnow() + dt.timedelta(days=14)).replace(hour=18, minute=30)
    data = {
        "csrf_token": csrf,
        "title": "Launch conference",
        "kind": "national",
        "region": "",
        "group_id": "",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "venue": "Conway Hall, London",
        "online_url": "",
        "agenda": "## Agenda\n\n1. The constitution\n2. Elections",
        "capacity": "200",
    }
    data.update(values)
    return data


# --- bulletins ----------------------------------------------------------------------------

BULLETIN_BODY = """## This week

The **Labour Left Alliance** meets on Saturday. [Read the programme](https://lla.example/programme).

- Bring a friend
- Bring a banner
"""
