"""Fixtures for the organisers' room: accounts, logged-in clients and rows made directly."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa
from conftest import csrf_from

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.groups.models import CONFIRMED, Group, GroupRepresentative
from campaign.models import utcnow
from campaign.organisers.accounts import create_organiser
from campaign.organisers.models import AuditRecord

PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "admin@campaign.example"
ORGANISER_EMAIL = "organiser@campaign.example"
_numbers = itertools.count(1)


def make_organiser(app, email: str, role: str, password: str = PASSWORD) -> int:
    """Create an account directly; returns its id."""
    with app.app_context():
        organiser = create_organiser(email, email.split("@")[0].title(), role, password)
        db.session.commit()
        return organiser.id


def log_in(client, email: str, password: str = PASSWORD):
    """Log in through the real form; returns the response to the POST."""
    page = client.get("/organisers/login")
    return client.post(
        "/organisers/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
    )


def token(client, path: str = "/organisers/password") -> str:
    """A CSRF token for the client's session, from a page with a form."""
    return csrf_from(client.get(path).text)


def audit_rows(app, action: str | None = None) -> list[AuditRecord]:
    """The audit records, oldest first, optionally of one action."""
    with app.app_context():
        query = sa.select(AuditRecord).order_by(AuditRecord.id)
        if action:
            query = query.where(AuditRecord.action == action)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


@pytest.fixture
def admin_client(app, client):
    make_organiser(app, ADMIN_EMAIL, "admin")
    assert log_in(client, ADMIN_EMAIL).status_code == 302
    return client


@pytest.fixture
def organiser_client(app, client):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    assert log_in(client, ORGANISER_EMAIL).status_code == 302
    return client


def add_supporter(**values) -> Supporter:
    """A supporter row made directly (inside an app context; the caller commits)."""
    n = next(_numbers)
    now = utcnow()
    defaults = dict(
        email=f"person{n}@example.org",
        first_name="Pat",
        last_name=f"Person{n}",
        postcode="SW1A 1AA",
        region="london",
        labour_member="yes",
        bulletin_consent=True,
        referral_code=f"code{n:08d}",
        created_at=now,
        signed_at=now,
        confirmed_at=now,
    )
    defaults.update(values)
    defaults.setdefault("email_canonical", defaults["email"].lower())
    supporter = Supporter(**defaults)
    db.session.add(supporter)
    db.session.flush()
    return supporter


def add_group(status: str = CONFIRMED, representatives: int = 1, **values) -> Group:
    """A group row made directly (inside an app context; the caller commits)."""
    n = next(_numbers)
    defaults = dict(
        name=f"Left Group {n}",
        name_normalised=f"left group {n}",
        kind="local-left-group",
        region="london",
        town="Hackney",
        contact_name="Sam Contact",
        contact_email=f"contact{n}@example.org",
        contact_email_canonical=f"contact{n}@example.org",
        decided_how="At our AGM",
        status=status,
        confirmed_at=utcnow() - dt.timedelta(days=1),
    )
    defaults.update(values)
    group = Group(**defaults)
    for position in range(1, representatives + 1):
        group.representatives.append(
            GroupRepresentative(
                position=position,
                name=f"Rep {n}-{position}",
                email=f"rep{n}-{position}@example.org",
            )
        )
    db.session.add(group)
    db.session.flush()
    return group


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """argon2 with its smallest cost: the same algorithm, without 0.4 s per hash in tests."""
    from argon2 import PasswordHasher

    from campaign.organisers import accounts

    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("dummy"))
