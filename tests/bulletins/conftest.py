"""Fixtures for bulletins: organisers logged in, subscribers made directly, the sender run."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import csrf_from
from organisers.conftest import (  # noqa: F401  (fixtures re-used here)
    ORGANISER_EMAIL,
    add_supporter,
    cheap_password_hashing,
    log_in,
    make_organiser,
    organiser_client,
)

from campaign.bulletins.models import Bulletin, BulletinDelivery
from campaign.bulletins.services import send_due_bulletins
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.mail.services import send_due_messages

BODY = """## This week

The **Labour Left Alliance** meets on Saturday. [Read the programme](https://lla.example/programme).

- Bring a friend
- Bring a banner
"""


def subscribers(app, n: int, **values) -> list[str]:
    """`n` confirmed bulletin subscribers; their addresses."""
    with app.app_context():
        rows = [add_supporter(**values) for _ in range(n)]
        db.session.commit()
        return [r.email for r in rows]


def write_bulletin(client, subject="Weekly bulletin", body=BODY, **fields) -> int:
    """Write and save a draft through the room's form; its id."""
    page = client.get("/organisers/bulletins/new")
    data = {"subject": subject, "body": body, "csrf_token": csrf_from(page.text), "action": "save"}
    data.update(fields)
    response = client.post("/organisers/bulletins/new", data=data)
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def send_now(client, bulletin_id: int, **fields):
    page = client.get(f"/organisers/bulletins/{bulletin_id}")
    data = {"when": "now", "csrf_token": csrf_from(page.text), **fields}
    return client.post(f"/organisers/bulletins/{bulletin_id}/send", data=data)


def run_sender(app, now=None) -> int:
    """Queue due bulletins and send the whole outbox, as the worker would; messages sent."""
    sent = 0
    with app.app_context():
        send_due_bulletins(now)
        while True:
            counts = send_due_messages()
            if not any(counts.values()):
                return sent
            sent += counts["sent"]


def bulletin_row(app, bulletin_id: int) -> Bulletin:
    with app.app_context():
        row = db.session.get(Bulletin, bulletin_id)
        db.session.expunge(row)
        return row


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def deliveries(app) -> int:
    return count(app, BulletinDelivery)


def outbox(app) -> int:
    return count(app, OutboxMessage)


@pytest.fixture
def room(organiser_client):  # noqa: F811
    """A client logged in as an organiser."""
    return organiser_client
