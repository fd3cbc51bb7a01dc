"""Data kept no longer than promised: erasure that races the sender, and the scheduled
purges and expiries.

The careless system: a worker halfway through sending when its recipient erases their
data, leaving the message (address, name, body) behind for good. The forgetful operator:
nobody runs the purge by hand, so only the scheduler can keep the promise.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from appeal.support import link, sign, supporters
from conftest import csrf_from, free_port
from flask import Flask

from campaign.extensions import db, mailer
from campaign.mail.models import OutboxMessage
from campaign.mail.services import send_due_messages


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
