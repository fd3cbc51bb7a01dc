"""A real `flask bulletins send-due` process killed with SIGKILL mid-send: the next run
carries on from the last committed batch and nobody gets two copies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaign.bulletins.models import SENT, Bulletin, BulletinDelivery
from campaign.bulletins.services import send_due_bulletins
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from tests.support.factories import add_supporter
from tests.support.reads import bulletin_row, deliveries
from tests.support.web import send_now, write_bulletin

PROJECT = Path(__file__).resolve().parents[2]
AUDIENCE, BATCH = 3000, 1000


@pytest.mark.slow
def test_sender_killed_mid_send_resumes_without_doubles(app, room, database_url):
    with app.app_context():
        for _ in range(AUDIENCE):
            add_supporter()
        db.session.commit()
    bulletin_id = write_bulletin(room)
    assert send_now(room, bulletin_id).status_code == 302

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SITE_URL": "http://localhost",
        "MAIL_TRANSPORT": "console",
    }
    sender = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "bulletins", "send-due",
         "--batch", str(BATCH)],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        # Wait for its first batch to be committed, then kill it while it works on the next.
        for _ in range(1200):
            if deliveries(app) >= BATCH or sender.poll() is not None:
                break
            time.sleep(0.05)
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=30)
    finally:
        if sender.poll() is None:
            sender.kill()
    killed_at = deliveries(app)
    assert killed_at >= BATCH, sender.stderr.read().decode() if sender.stderr else ""
    assert killed_at < AUDIENCE, "the sender finished before it could be killed"
    # What the dead process committed is whole: a message for every delivery, no more.
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == (
            killed_at
        )
        # Its lease would run out after two minutes; the test lets it run out now.
        db.session.execute(
            sa.update(Bulletin).where(Bulletin.id == bulletin_id).values(lease_until=None)
        )
        db.session.commit()
        send_due_bulletins()
        supporters = db.session.scalars(sa.select(BulletinDelivery.supporter_id)).all()
        recipients = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert len(supporters) == len(set(supporters)) == AUDIENCE
    assert len(recipients) == len(set(recipients)) == AUDIENCE
    assert bulletin_row(app, bulletin_id).status == SENT
