"""Helpers for the events' tests: accounts, log-in, groups and events made directly."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from flask import Flask
from flask.testing import FlaskClient

from campaign.events.models import Event
from campaign.extensions import db
from campaign.groups.models import APPROVED, Group
from campaign.models import utcnow
from campaign.organisers.accounts import create_organiser

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)
CSRF = re.compile(
    r'name="csrf_token"(?: type="hidden")? value="([^"]+)"|value="([^"]+)" name="csrf_token"'
)


def csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no csrf_token in the page"
    return next(g for g in match.groups() if g)


def organiser_client(app: Flask, role: str) -> FlaskClient:
    """A client logged in through the real form as a new account of `role`."""
    email = f"{role}{next(_numbers)}@campaign.example"
    with app.app_context():
        create_organiser(email, role.title(), role, PASSWORD)
        db.session.commit()
    client = app.test_client()
    page = client.get("/organisers/login")
    response = client.post(
        "/organisers/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 302, response.text
    return client


def add_group(status: str = APPROVED, **values: object) -> Group:
    """A group row made directly (inside an app context; the caller commits)."""
    n = next(_numbers)
    columns: dict[str, object] = dict(
        name=f"Left Group {n}",
        kind="local-left-group",
        region="london",
        contact_name="Sam Contact",
        contact_email=f"contact{n}@example.org",
        contact_email_canonical=f"contact{n}@example.org",
        decided_how="At our AGM",
        status=status,
    )
    columns.update(values)
    columns["name_normalised"] = str(columns["name"]).lower()
    group = Group(**columns)
    db.session.add(group)
    db.session.flush()
    return group


def add_event(**values: object) -> Event:
    """A published event tomorrow evening, made directly (the caller commits)."""
    n = next(_numbers)
    start = utcnow().replace(microsecond=0) + dt.timedelta(days=3)
    defaults: dict[str, object] = dict(
        slug=f"meeting-{n}",
        title=f"Networking meeting {n}",
        kind="national",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        venue="Conway Hall, 25 Red Lion Square, London",
        agenda="1. Welcome\n2. The constitution",
        capacity=100,
    )
    defaults.update(values)
    event = Event(**defaults)
    db.session.add(event)
    db.session.flush()
    return event


def form_of_event(token: str, **values: str) -> dict[str, str]:
    """The organisers' event form, filled with a valid event in two weeks' time."""
    start = (utcnow() + dt.timedelta(days=14)).replace(hour=18, minute=30)
    data = {
        "csrf_token": token,
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
