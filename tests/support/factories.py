"""Rows for a test to start from: made directly with the models (fast, any state) or through
the services (as the site makes them). All of them run inside an app context and leave the
commit to the caller, unless they take `app`.

The counted factories (`sign`, `confirm`, `erase`, `signed`, `group`, `approve`,
`withdraw`) call `count_signature` / `count_group` in the same transaction, as the appeal
and groups services do, so the counters are tested without those features' views.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import sqlalchemy as sa
from flask import Flask

from campaign.appeal.models import Supporter
from campaign.appeal.services import SignatureDetails, confirm_signature, sign_appeal
from campaign.events.models import Event
from campaign.extensions import db
from campaign.groups.models import APPROVED, CONFIRMED, WITHDRAWN, Group, GroupRepresentative
from campaign.groups.services import (
    approve_group,
    confirm_group_contact,
    normalise_group_name,
    register_group,
)
from campaign.models import utcnow
from campaign.organisers.accounts import create_organiser
from campaign.tally import count_group, count_signature
from tests.support.data import service_data

# Every account made here has this password, the one `tests.support.web.log_in` types.
PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "admin@campaign.example"
ORGANISER_EMAIL = "organiser@campaign.example"
_numbers = itertools.count(1)


# --- organisers ----------------------------------------------------------------------------


def make_organiser(app: Flask, email: str, role: str, password: str = PASSWORD) -> int:
    """Create an account directly (and commit); returns its id."""
    with app.app_context():
        organiser = create_organiser(email, email.split("@")[0].title(), role, password)
        db.session.commit()
        return organiser.id


# --- supporters ----------------------------------------------------------------------------


def add_supporter(**values: Any) -> Supporter:
    """A confirmed supporter who agreed to bulletins, made directly (not counted)."""
    n = next(_numbers)
    now = utcnow()
    defaults: dict[str, Any] = dict(
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


def subscribers(app: Flask, n: int, **values: Any) -> list[str]:
    """`n` confirmed bulletin subscribers (committed); their addresses."""
    with app.app_context():
        rows = [add_supporter(**values) for _ in range(n)]
        db.session.commit()
        return [r.email for r in rows]


def add_signature(first: str, last: str, postcode: str, shown: bool) -> None:
    """Sign and confirm through the appeal's services, as the form and e-mailed link do."""
    email = f"{first}.{last}@example.org".lower()
    sign_appeal(
        SignatureDetails(
            email=email, first_name=first, last_name=last, postcode=postcode, show_publicly=shown
        )
    )
    supporter = db.session.scalar(sa.select(Supporter).where(Supporter.email == email))
    assert confirm_signature(supporter)


def confirm_everyone(app: Flask) -> None:
    """Confirm every supporter's signature through the appeal's service (and commit)."""
    with app.app_context():
        for supporter in db.session.scalars(sa.select(Supporter)):
            confirm_signature(supporter)
        db.session.commit()


# --- groups --------------------------------------------------------------------------------


def add_group(status: str = CONFIRMED, representatives: int = 1, **values: Any) -> Group:
    """A group whose contact has confirmed (or of `status`), made directly."""
    n = next(_numbers)
    defaults: dict[str, Any] = dict(
        name=f"Left Group {n}",
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
    defaults.setdefault("name_normalised", normalise_group_name(defaults["name"]))
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


def add_approved_group(name: str, **overrides: Any) -> Group:
    """A group registered, confirmed and approved through the groups services (the
    affiliation of `tests.support.data.service_data`, named `name`)."""
    overrides.setdefault("contact_email", re.sub(r"\W", "", name).lower() + "@example.org")
    group = register_group(service_data(name=name, **overrides))
    confirm_group_contact(group)
    approve_group(group, by="organiser@example.org")
    return group


# Who has signed before a browser test of the numbers starts: (first, last, postcode, shown
# on /numbers).
SIGNERS = [
    ("Rosa", "Luxemburg", "SW1A 1AA", True),
    ("Tony", "Benn", "LS1 1AA", True),
    ("Clement", "Attlee", "EH1 1AA", False),
]


def add_campaign() -> None:
    """Three confirmed signatures (two shown publicly) and two approved groups, through the
    services."""
    for signer in SIGNERS:
        add_signature(*signer)
    add_approved_group("Camden Momentum", kind="momentum-branch", region="london")
    add_approved_group("Leeds Labour Left", kind="local-left-group", region="yorkshire")


# --- events --------------------------------------------------------------------------------


def add_event(**values: Any) -> Event:
    """A published event three days from now, made directly."""
    n = next(_numbers)
    start = utcnow().replace(microsecond=0) + dt.timedelta(days=3)
    defaults: dict[str, Any] = dict(
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


# --- counted: rows the counters see --------------------------------------------------------


def sign(
    region: str | None = "london",
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    show_publicly: bool = False,
    country: str | None = None,
) -> Supporter:
    """A pending (unconfirmed) signature."""
    n = next(_numbers)
    supporter = Supporter(
        email=f"Signer{n}@Example.org",
        email_canonical=f"signer{n}@example.org",
        first_name=first_name,
        last_name=last_name,
        postcode="SW1A 1AA" if region and not country else None,
        region=region,
        country=country,
        show_publicly=show_publicly,
        referral_code=f"ref{n:08d}",
        signed_at=utcnow(),
    )
    db.session.add(supporter)
    db.session.flush()
    return supporter


def confirm(supporter: Supporter, at: dt.datetime | None = None) -> Supporter:
    """Confirm a signature and count it, as the appeal service does."""
    supporter.confirmed_at = at or utcnow()
    count_signature(supporter, +1)
    return supporter


def erase(supporter: Supporter) -> None:
    """Erase a supporter, uncounting a confirmed signature, as my-data erasure does."""
    if supporter.counted:
        count_signature(supporter, -1)
    db.session.delete(supporter)


def signed(n: int = 1, at: dt.datetime | None = None, **fields: Any) -> list[Supporter]:
    """`n` confirmed, counted signatures."""
    return [confirm(sign(**fields), at) for _ in range(n)]


def group(kind: str = "momentum-branch", region: str = "london", name: str = "") -> Group:
    """A group whose contact has confirmed, waiting for review (not counted yet)."""
    n = next(_numbers)
    g = Group(
        name=name or f"Group {n}",
        name_normalised=(name or f"group {n}").lower(),
        kind=kind,
        region=region,
        town="Town",
        website=f"https://group{n}.example.org",
        contact_name="Private Contact",
        contact_email=f"contact{n}@example.org",
        contact_email_canonical=f"contact{n}@example.org",
        contact_phone="07700 900123",
        decided_how="At our AGM",
        status=CONFIRMED,
    )
    db.session.add(g)
    db.session.flush()
    return g


def approve(g: Group) -> Group:
    """Approve a group and count it, as the groups review service does."""
    g.status = APPROVED
    g.approved_at = utcnow()
    count_group(g, +1)
    return g


def withdraw(g: Group) -> Group:
    """Withdraw an approved group and uncount it."""
    if g.status == APPROVED:
        count_group(g, -1)
    g.status = WITHDRAWN
    g.withdrawn_at = utcnow()
    return g
