"""The outbox's two lanes: confirmations overtake a large bulletin; bulk mail keeps its rate."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.mail.models import BULK, PRIORITY, QUEUED, SENT, OutboxMessage
from campaign.mail.services import send_due_messages
from campaign.models import utcnow
from tests.support.web import sign as sign_appeal


def queue_bulk(app, n: int) -> None:
    """`n` bulletin messages already in the bulk lane (inserted directly, as expansion would)."""
    now = utcnow()
    row = {
        "subject": "Weekly bulletin", "text_body": "Hello", "html_body": "<p>Hello</p>",
        "headers": {}, "status": QUEUED, "lane": BULK, "attempts": 0,
        "next_attempt_at": now, "created_at": now,
    }  # fmt: skip
    with app.app_context():
        for start in range(0, n, 5000):
            db.session.execute(
                sa.insert(OutboxMessage),
                [
                    {**row, "recipient": f"reader{i}@example.org"}
                    for i in range(start, min(n, start + 5000))
                ],
            )
        db.session.commit()


def sign(client, email: str) -> None:
    response = sign_appeal(client, email=email)
    assert response.status_code in (302, 303), response.text


@pytest.mark.slow
def test_confirmation_overtakes_50000_bulletin_messages(app, client, mailbox):
    queue_bulk(app, 50_000)
    sign(client, "newcomer@example.org")  # queued after every bulletin message
    with app.app_context():
        counts = send_due_messages()
        # The very first pass of the worker sends the confirmation.
        [confirmation] = mailbox.to("newcomer@example.org")
        assert "confirm" in confirmation["Subject"].lower()
        assert counts["sent"] == 1
        # ...and the next passes get on with the bulletin in small batches.
        send_due_messages()
        still_queued = db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage)
            .where(OutboxMessage.lane == BULK, OutboxMessage.status == QUEUED)
        )  # fmt: skip
        assert still_queued == 50_000 - app.config["MAIL_BULK_BATCH"]


def test_bulk_lane_keeps_to_the_rate_but_confirmations_do_not_wait(app, client, mailbox):
    app.config.update(MAIL_BULK_PER_MINUTE=5, MAIL_BULK_BATCH=3)
    queue_bulk(app, 12)
    with app.app_context():
        sent = [send_due_messages()["sent"] for _ in range(4)]
    assert sent == [3, 2, 0, 0]  # five in the minute, then the lane waits
    sign(client, "waiting@example.org")
    with app.app_context():
        assert send_due_messages()["sent"] == 1
        lanes = dict(
            db.session.execute(
                sa.select(OutboxMessage.lane, sa.func.count())
                .where(OutboxMessage.status == SENT).group_by(OutboxMessage.lane)
            ).all()
        )  # fmt: skip
    assert lanes == {BULK: 5, PRIORITY: 1}
    assert len(mailbox.to("waiting@example.org")) == 1
