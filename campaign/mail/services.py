"""Queue e-mail in the current transaction; deliver due messages with retries and back-off."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context, render_template
from flask_mail import Message

from campaign.closure import anonymise_due
from campaign.extensions import db, mailer
from campaign.mail.models import BULK, FAILED, PRIORITY, QUEUED, SENDING, SENT, OutboxMessage
from campaign.models import rows_changed, utcnow
from campaign.scheduler import scheduled_job

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=2)
# Someone typing another person's address again and again (on the sign form, the
# affiliation form...) must not flood that inbox: at most this many messages an hour.
REPEAT_MAILS_PER_HOUR = 5
# The log of sent mail (to whom, what kind, when, whether it went) is kept with the
# supporter; the bodies (names, personal links) only this long.
MAIL_BODIES_KEPT_DAYS = 30


def queue_email(
    recipient: str,
    subject: str,
    template: str,
    *,
    unsubscribe_url: str | None = None,
    lane: str = PRIORITY,
    **context: object,
) -> OutboxMessage:
    """Render `template`.txt and .html and add the message to the session (caller commits).

    With `unsubscribe_url` the message carries RFC 8058 one-click unsubscribe headers.
    Bulk mail (bulletins) goes in the BULK lane, sent only when nothing else waits.
    """
    campaign_name = current_app.extensions["content"].campaign["campaign"]["name"]
    context = {"campaign_name": campaign_name, "unsubscribe_url": unsubscribe_url, **context}
    headers: dict[str, str] = {}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = OutboxMessage(
        recipient=recipient,
        subject=f"{subject} · {campaign_name}"[:200],
        text_body=render_template(f"{template}.txt", **context),
        html_body=render_template(f"{template}.html", **context),
        headers=headers,
        status=QUEUED,
        lane=lane,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    if has_request_context():
        g.mail_queued = True
    return message


def recently_mailed(address: str) -> bool:
    """Whether `address` has had its hourly share of messages (REPEAT_MAILS_PER_HOUR)."""
    since = utcnow() - dt.timedelta(hours=1)
    queued = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.recipient == address, OutboxMessage.created_at >= since)
    )
    return (queued or 0) >= REPEAT_MAILS_PER_HOUR


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try: 30 s doubling per attempt, at most an hour."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _claim(message_id: int, now: dt.datetime) -> bool:
    # A conditional UPDATE is atomic on SQLite and PostgreSQL alike: of several workers
    # racing for one row exactly one sees rowcount 1, so no message is sent twice.
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            sa.or_(
                sa.and_(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= now),
                sa.and_(OutboxMessage.status == SENDING, OutboxMessage.lease_until < now),
            ),
        )
        .values(status=SENDING, lease_until=now + LEASE)
    )
    db.session.commit()
    return rows_changed(result) == 1


def deliver(message: OutboxMessage) -> None:
    """Hand one message to the configured transport (console or SMTP)."""
    config = current_app.config
    if config["MAIL_TRANSPORT"] == "console":
        print(
            f"\n----- e-mail to {message.recipient} -----\nSubject: {message.subject}\n"
            + "".join(f"{k}: {v}\n" for k, v in (message.headers or {}).items())
            + f"\n{message.text_body}\n----- end of e-mail -----\n",
            file=sys.stderr,
            flush=True,
        )
        return
    msg = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.text_body,
        html=message.html_body,
        sender=config["MAIL_DEFAULT_SENDER"],
        extra_headers=dict(message.headers or {}),
    )
    mailer.send(msg)


def _due(lane: str, now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMessage.lane == lane,
        sa.or_(
            sa.and_(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= now),
            sa.and_(OutboxMessage.status == SENDING, OutboxMessage.lease_until < now),
        ),
    )


def _due_ids(lane: str, now: dt.datetime, limit: int) -> list[int]:
    if limit <= 0:
        return []
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(_due(lane, now))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def bulk_allowance(now: dt.datetime) -> int:
    """How many bulk messages may still go this minute (MAIL_BULK_PER_MINUTE, all workers)."""
    sent_last_minute = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.lane == BULK, OutboxMessage.sent_at > now - dt.timedelta(minutes=1))
    )
    return max(current_app.config["MAIL_BULK_PER_MINUTE"] - (sent_last_minute or 0), 0)


def send_due_messages(limit: int = 100) -> dict[str, int]:
    """Send queued messages whose time has come; return counts of sent, retried and failed.

    The priority lane goes first, whole; then a small batch of bulk mail within the rate,
    so a confirmation queued behind a large bulletin waits for one batch at most.
    """
    now = utcnow()
    counts = {"sent": 0, "retried": 0, "failed": 0}
    due_ids = _due_ids(PRIORITY, now, limit)
    if not due_ids:
        batch = min(limit, current_app.config["MAIL_BULK_BATCH"], bulk_allowance(now))
        due_ids = _due_ids(BULK, now, batch)
    db.session.commit()
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    for message_id in due_ids:
        if not _claim(message_id, now):
            continue
        message = db.session.get(OutboxMessage, message_id)
        if message is None:  # erased with its supporter after we claimed it
            continue
        # Sending takes a while, and the recipient may erase their data meanwhile, which
        # deletes this row. So the outcome is written by conditional UPDATEs of a row still
        # being sent: if it is gone, nothing of the message is written back.
        db.session.expunge(message)
        db.session.commit()
        attempts = message.attempts + 1
        try:
            deliver(message)
        except Exception as exc:  # any transport failure: keep the message, try later
            error = f"{type(exc).__name__}: {exc}"[:500]
            if attempts >= max_attempts:
                outcome: dict[str, Any] = {"status": FAILED}
                counts["failed"] += 1
                log.error("giving up on outbox message %s: %s", message_id, error)
            else:
                outcome = {"status": QUEUED, "next_attempt_at": utcnow() + backoff(attempts)}
                counts["retried"] += 1
                log.warning("outbox message %s will be retried: %s", message_id, exc)
            outcome.update(last_error=error, lease_until=None, attempts=attempts)
        else:
            outcome = {
                "status": SENT,
                "sent_at": utcnow(),
                "lease_until": None,
                "last_error": None,
                "attempts": attempts,
            }
            counts["sent"] += 1
        written = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == SENDING)
            .values(**outcome)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if rows_changed(written) != 1:
            log.info("outbox message %s was erased while it was being sent", message_id)
    return counts


def outbox_health() -> dict[str, int]:
    """How many messages are queued (or being sent) and how many have failed for good."""
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    by_status = dict(rows)
    return {
        "queued": by_status.get(QUEUED, 0) + by_status.get(SENDING, 0),
        "failed": by_status.get(FAILED, 0),
        "sent": by_status.get(SENT, 0),
    }


def delete_mail_to(addresses: list[str]) -> int:
    """Delete every message to these addresses (erasure), even one being sent; how many.

    A worker sending one of them right now finds its row gone when it has finished and
    writes nothing back (send_due_messages), so no copy of the message stays behind.
    """
    lowered = [address.lower() for address in addresses]
    result = db.session.execute(
        sa.delete(OutboxMessage)
        .where(sa.func.lower(OutboxMessage.recipient).in_(lowered))
        .execution_options(synchronize_session=False)
    )
    return int(rows_changed(result) or 0)


def withdraw_bulk_mail_to(address: str) -> int:
    """Delete bulk messages (bulletins) still queued for an address that unsubscribed."""
    result = db.session.execute(
        sa.delete(OutboxMessage)
        .where(
            sa.func.lower(OutboxMessage.recipient) == address.lower(),
            OutboxMessage.lane == BULK,
            OutboxMessage.status == QUEUED,
        )
        .execution_options(synchronize_session=False)
    )
    return int(rows_changed(result) or 0)


@scheduled_job("delete-old-mail-bodies", every=dt.timedelta(hours=6))
def delete_old_mail_bodies(now: dt.datetime) -> str:
    """Every 6 hours: blank the bodies of messages sent (or given up) over 30 days ago."""
    cutoff = now - dt.timedelta(days=MAIL_BODIES_KEPT_DAYS)
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.status.in_((SENT, FAILED)),
            OutboxMessage.created_at < cutoff,
            sa.or_(OutboxMessage.text_body != "", OutboxMessage.html_body != ""),
        )
        .values(text_body="", html_body="", headers={})
        .execution_options(synchronize_session=False)
    )
    return f"deleted the bodies of {rows_changed(result)} old messages"


@scheduled_job("delete-mail-after-close", every=dt.timedelta(hours=1))
def delete_mail_after_close(now: dt.datetime) -> str:
    """Once the closed campaign's date has come: delete every message, sent or not."""
    if not anonymise_due(now):
        return "not due"
    result = db.session.execute(
        sa.delete(OutboxMessage).execution_options(synchronize_session=False)
    )
    return f"deleted {rows_changed(result)} messages"
