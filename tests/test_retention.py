"""Data kept no longer than promised: erasure that races the sender, and the scheduled
purges and expiries.

The careless system: a worker halfway through sending when its recipient erases their
data, leaving the message (address, name, body) behind for good. The forgetful operator:
nobody runs the purge by hand, so only the scheduler can keep the promise.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Iterator

import itsdangerous.timed
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from campaign.appeal.services import MY_DATA_MAX_AGE
from campaign.extensions import db, mailer
from campaign.groups.models import Group, GroupRepresentative
from campaign.groups.services import confirm_group_contact, register_group
from campaign.mail.models import FAILED, QUEUED, SENT, OutboxMessage
from campaign.mail.services import queue_email, send_due_messages
from campaign.scheduler import run_due_jobs
from tests.support.data import service_data
from tests.support.mail import link
from tests.support.reads import supporters
from tests.support.services import free_port
from tests.support.web import csrf_from, sign


class StallingSmtp:
    """An SMTP server that holds each message in DATA until the test lets it go."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.entered.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        self.received.append(envelope.content)
        return "250 Message accepted for delivery"


@pytest.fixture
def stalling_smtp(app: Flask) -> Iterator[StallingSmtp]:
    handler = StallingSmtp()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    mailer.init_app(app)
    yield handler
    handler.release.set()
    controller.stop()


def outbox_to(app: Flask, address: str) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxMessage.status, OutboxMessage.text_body).where(
                sa.func.lower(OutboxMessage.recipient) == address
            )
        ).all()
    return [tuple(row) for row in rows]


def test_erasure_while_the_message_is_being_sent_leaves_nothing(
    app, client, mailbox, deliver_mail, stalling_smtp
):
    # Ada signs and confirms (through the normal server), then signs again by mistake.
    smtp = {"MAIL_SERVER": app.config["MAIL_SERVER"], "MAIL_PORT": app.config["MAIL_PORT"]}
    app.config.update(MAIL_SERVER=mailbox.host, MAIL_PORT=mailbox.port)
    mailer.init_app(app)
    sign(client)
    deliver_mail()
    confirm = link(mailbox.messages[-1], "/appeal/confirm/")
    my_data = link(mailbox.messages[-1], "/my-data/")
    client.post(confirm, data={"csrf_token": csrf_from(client.get(confirm).text)})
    app.config.update(smtp)
    mailer.init_app(app)
    sign(client)  # queues "you have already signed"
    assert [status for status, _ in outbox_to(app, "ada@example.org")].count("queued") == 1

    def worker() -> None:
        with app.app_context():
            send_due_messages()

    sending = threading.Thread(target=worker)
    sending.start()
    try:
        assert stalling_smtp.entered.wait(30), "the worker never reached the SMTP server"
        # Mid-send, Ada erases her data.
        page = client.get(f"{my_data}/erase")
        erased = client.post(f"{my_data}/erase", data={"csrf_token": csrf_from(page.text)})
        assert erased.status_code == 303
    finally:
        stalling_smtp.release.set()
        sending.join(60)
    assert not sending.is_alive()
    assert len(stalling_smtp.received) == 1  # it had gone out: that cannot be undone
    # Nothing of Ada is left: no row, no message, sent or otherwise.
    assert supporters(app) == []
    assert outbox_to(app, "ada@example.org") == []


# --- the scheduled purges -------------------------------------------------------------

NOW = dt.datetime(2026, 11, 30, 9, 0)


def make_group(app: Flask, **overrides: object) -> int:
    with app.app_context():
        group = register_group(service_data(**overrides))
        db.session.commit()
        return group.id


def test_scheduler_purges_groups_never_confirmed_after_30_days(app):
    old = make_group(app, name="Old unconfirmed", contact_email="old@example.org")
    recent = make_group(app, name="Recent unconfirmed", contact_email="new@example.org")
    confirmed = make_group(app, name="Old but confirmed", contact_email="ok@example.org")
    with app.app_context():
        db.session.execute(
            sa.update(Group)
            .where(Group.id.in_([old, confirmed]))
            .values(created_at=NOW - dt.timedelta(days=31))
        )
        confirm_group_contact(db.session.get(Group, confirmed))
        db.session.commit()
        results = run_due_jobs(NOW)
        assert results["purge-unconfirmed-groups"] == "purged 1 unconfirmed group"
        assert sorted(db.session.scalars(sa.select(Group.id))) == [recent, confirmed]
        # Its representatives, history and e-mails went with it.
        assert (
            db.session.scalars(
                sa.select(GroupRepresentative.group_id).where(GroupRepresentative.group_id == old)
            ).all()
            == []
        )
        recipients = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert "old@example.org" not in recipients and "new@example.org" in recipients


def test_scheduler_deletes_sent_mail_bodies_after_30_days_keeping_the_log(app):
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader({"t.txt": "Dear {{ name }}", "t.html": "<p>Dear {{ name }}</p>"}),
            app.jinja_env.loader,
        ]
    )
    with app.app_context():
        for days, status in ((31, SENT), (31, FAILED), (31, QUEUED), (29, SENT)):
            message = queue_email("ada@example.org", "Hello", "t", name="Ada")
            message.status = status
            message.created_at = NOW - dt.timedelta(days=days)
        db.session.commit()
        results = run_due_jobs(NOW)
        assert results["delete-old-mail-bodies"] == "deleted the bodies of 2 old messages"
        rows = db.session.execute(
            sa.select(
                OutboxMessage.status, OutboxMessage.created_at, OutboxMessage.text_body
            ).order_by(OutboxMessage.id)
        ).all()
    kept = [(status, (NOW - created).days, body != "") for status, created, body in rows]
    # The log stays (who, when, what kind, whether it went); old sent bodies are gone.
    assert kept == [(SENT, 31, False), (FAILED, 31, False), (QUEUED, 31, True), (SENT, 29, True)]


# --- my-data links expire, and a new one is sent on request ---------------------------


def test_an_expired_my_data_link_shows_nothing_and_sends_a_new_one(
    app, client, mailbox, deliver_mail, monkeypatch
):
    sign(client)
    deliver_mail()
    old_link = link(mailbox.messages[-1], "/my-data/")
    assert "Lovelace" in client.get(old_link).text
    mailbox.messages.clear()

    monkeypatch.setattr(itsdangerous.timed, "time", _Later(MY_DATA_MAX_AGE + 60))
    expired = client.get(old_link)
    assert expired.status_code == 410
    assert "Lovelace" not in expired.text and "ada@example.org" not in expired.text
    assert "Send me a new link" in expired.text
    renewed = client.post(f"{old_link}/renew", data={"csrf_token": csrf_from(expired.text)})
    assert renewed.status_code == 303
    assert "Check your e-mail" in client.get(renewed.headers["Location"]).text
    deliver_mail()
    [message] = mailbox.to("ada@example.org")
    assert message["Subject"].startswith("Your link to manage your data")
    new_link = link(message, "/my-data/")
    assert new_link != old_link
    assert "Lovelace" in client.get(new_link).text


def test_a_forged_renewal_sends_nothing(client, mailbox, deliver_mail):
    page = client.get("/appeal")
    response = client.post(
        "/my-data/WzEsImFiY2RlZmdoIl0.Z0tK2A.u8Tn3Vq2Xy/renew",
        data={"csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 400
    deliver_mail()
    assert mailbox.messages == []


class _Later:
    """itsdangerous's clock, moved on by `ahead` seconds."""

    def __init__(self, ahead: float):
        self.ahead = ahead

    def time(self) -> float:
        return time.time() + self.ahead
