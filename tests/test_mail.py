"""The outbox: queued in the caller's transaction, delivered by the worker, never lost."""

import threading

import pytest
import sqlalchemy as sa
from jinja2 import ChoiceLoader, DictLoader

from campaign.extensions import db, mailer
from campaign.mail.models import FAILED, QUEUED, SENT, OutboxMessage
from campaign.mail.services import backoff, outbox_health, queue_email, send_due_messages
from campaign.models import utcnow

TEST_TEMPLATES = {
    "mail/test_message.txt": 'Dear {{ name }},\n\nA test.\n\n{% include "mail/_footer.txt" %}',
    "mail/test_message.html": (
        '{% extends "mail/_layout.html" %}'
        "{% block body %}<p>Dear <strong>{{ name }}</strong>,</p>{% endblock %}"
    ),
}


@pytest.fixture(autouse=True)
def test_templates(app):
    """A message template that exists only for these tests."""
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEST_TEMPLATES), app.jinja_env.loader])


def set_smtp_port(app, port: int, **config) -> None:
    """Point the app's SMTP settings elsewhere (port 1: nothing listens, like SMTP down)."""
    app.config.update(MAIL_PORT=port, **config)
    mailer.init_app(app)


def queue(app, to="ada@example.org", **kw):
    with app.app_context():
        queue_email(to, "Hello", "mail/test_message", name="Ada", **kw)
        db.session.commit()


def outbox_rows(app):
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_queued_message_is_delivered_with_both_parts(app, mailbox, deliver_mail):
    queue(
        app,
        unsubscribe_url="http://localhost/unsubscribe/abc",
        manage_url="http://localhost/my-data/abc",
    )
    assert mailbox.messages == []  # nothing is sent inside the transaction
    assert deliver_mail() == {"sent": 1, "retried": 0, "failed": 0}
    [message] = mailbox.to("ada@example.org")
    assert message["Subject"].startswith("Hello · ")
    assert "Dear Ada" in mailbox.text(message)
    assert "<strong>Ada</strong>" in mailbox.html(message)
    assert message["List-Unsubscribe"] == "<http://localhost/unsubscribe/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "http://localhost/my-data/abc" in mailbox.text(message)
    assert [r.status for r in outbox_rows(app)] == [SENT]
    assert deliver_mail() == {"sent": 0, "retried": 0, "failed": 0}  # never twice
    assert len(mailbox.messages) == 1


def test_rolled_back_transaction_queues_nothing(app, deliver_mail, mailbox):
    with app.app_context():
        queue_email("ada@example.org", "Hello", "mail/test_message", name="Ada")
        db.session.rollback()
    assert outbox_rows(app) == []


def test_smtp_down_keeps_message_and_retries_later(app, mailbox, deliver_mail):
    queue(app)
    set_smtp_port(app, 1)
    assert deliver_mail() == {"sent": 0, "retried": 1, "failed": 0}
    [row] = outbox_rows(app)
    assert row.status == QUEUED and row.attempts == 1 and row.last_error
    assert row.next_attempt_at > utcnow()
    set_smtp_port(app, mailbox.port)
    assert deliver_mail()["sent"] == 0  # backing off: not due yet
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
    assert deliver_mail() == {"sent": 1, "retried": 0, "failed": 0}
    assert len(mailbox.to("ada@example.org")) == 1


def test_message_fails_for_good_after_max_attempts(app, mailbox):
    queue(app)
    set_smtp_port(app, 1, MAIL_MAX_ATTEMPTS=2)
    with app.app_context():
        for _ in range(2):
            db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
            db.session.commit()
            send_due_messages()
        assert outbox_health()["failed"] == 1
    assert [r.status for r in outbox_rows(app)] == [FAILED]


def test_backoff_grows_and_is_capped():
    delays = [backoff(n).total_seconds() for n in range(1, 10)]
    assert delays[:3] == [30, 60, 120]
    assert max(delays) == 3600


def test_concurrent_workers_send_each_message_once(app, mailbox):
    for n in range(20):
        queue(app, to=f"person{n}@example.org")

    def worker():
        with app.app_context():
            send_due_messages()
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(mailbox.messages) == 20
    assert len({m["To"] for m in mailbox.messages}) == 20


def test_console_transport_prints_message(app, capsys):
    app.config["MAIL_TRANSPORT"] = "console"
    queue(app)
    with app.app_context():
        assert send_due_messages()["sent"] == 1
    err = capsys.readouterr().err
    assert "e-mail to ada@example.org" in err and "Dear Ada" in err


def test_mail_work_cli_once(app, runner, mailbox):
    queue(app)
    result = runner.invoke(args=["mail", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(mailbox.messages) == 1
    status = runner.invoke(args=["mail", "status"])
    assert "queued 0, sent 1, failed 0" in status.output
