"""Helpers for the appeal tests: post the sign form, read rows, follow e-mailed links."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from conftest import MailBox, csrf_from

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.tally import read_tallies

HTMX = {"HX-Request": "true", "HX-Target": "sign-form", "HX-Current-URL": "http://localhost/appeal"}


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


def sign(client, headers: dict[str, str] | None = None, page: str = "/appeal", **overrides):
    """GET the appeal page for a CSRF token, then POST the form."""
    token = csrf_from(client.get(page).text)
    return client.post(
        "/appeal", data={"csrf_token": token, **form_data(**overrides)}, headers=headers or {}
    )


def supporters(app) -> list[Supporter]:
    """Every supporter row, detached from the session."""
    with app.app_context():
        rows = db.session.scalars(sa.select(Supporter).order_by(Supporter.id)).all()
        db.session.expunge_all()
        return list(rows)


def snapshot(app) -> tuple:
    """Everything a bad request must leave alone: supporters, outbox and tallies."""
    with app.app_context():
        people = db.session.execute(sa.select(Supporter.__table__)).all()
        outbox = db.session.execute(sa.select(OutboxMessage.id)).all()
        return (sorted(map(tuple, people)), sorted(outbox), read_tallies())


def tallies(app) -> dict[str, int]:
    with app.app_context():
        return read_tallies()


def link(message, path_prefix: str) -> str:
    """The path (with query) of the first link in a message that starts with `path_prefix`."""
    for url in MailBox.links(message):
        parts = urlsplit(url)
        if parts.path.startswith(path_prefix):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no {path_prefix} link in: {MailBox.text(message)}")


def only_message(mailbox: MailBox, address: str):
    messages = mailbox.to(address)
    assert len(messages) == 1, [m["Subject"] for m in messages]
    return messages[0]


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
