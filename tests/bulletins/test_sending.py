"""Sending a bulletin through real SMTP: everyone once, nobody else, never twice."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.appeal.services import erase_supporter, unsubscribe_url
from campaign.bulletins.models import SENDING, SENT, Bulletin, BulletinDelivery
from campaign.bulletins.services import expand_bulletin, progress, send_due_bulletins
from campaign.extensions import db
from campaign.mail.models import BULK, QUEUED, OutboxMessage
from campaign.models import utcnow
from campaign.organisers.models import AuditRecord
from campaign.scheduler import JOBS, run_due_jobs
from campaign.urls import external_url
from tests.support.factories import add_supporter, subscribers
from tests.support.mail import run_sender
from tests.support.reads import bulletin_row, deliveries
from tests.support.web import csrf_from, send_now, write_bulletin


def recipients(mailbox) -> list[str]:
    return sorted(m["To"].lower() for m in mailbox.messages)


def test_bulletin_reaches_every_confirmed_subscriber_once_and_nobody_else(app, room, mailbox):
    wanted = subscribers(app, 4)
    with app.app_context():
        add_supporter(email="pending@example.org", confirmed_at=None, signed_at=None,
                      first_name=None, last_name=None)  # fmt: skip
        add_supporter(email="left@example.org", unsubscribed_at=utcnow(), bulletin_consent=False)
        add_supporter(email="noconsent@example.org", bulletin_consent=False)
        gone = add_supporter(email="erased@example.org")
        db.session.commit()
        erase_supporter(gone)
        db.session.commit()

    bulletin_id = write_bulletin(room)
    response = send_now(room, bulletin_id)
    assert response.status_code == 302
    run_sender(app)

    assert recipients(mailbox) == sorted(wanted)
    unsubscribe_links = {m["List-Unsubscribe"] for m in mailbox.messages}
    assert len(unsubscribe_links) == len(wanted)  # each reader's own link
    for message in mailbox.messages:
        assert message["Subject"].startswith("Weekly bulletin")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text, html = mailbox.text(message), mailbox.html(message)
        assert "/my-data/" in text and "/my-data/" in html
        assert "Bring a friend" in text and "<strong>Labour Left Alliance</strong>" in html
        # The reader's link goes where it says: no tracking redirect, no pixel.
        assert "https://lla.example/programme" in text
        assert 'href="https://lla.example/programme"' in html
        assert "<img" not in html.lower()

    row = bulletin_row(app, bulletin_id)
    assert row.status == SENT and row.audience_size == len(wanted)
    with app.app_context():
        [audit] = db.session.scalars(
            sa.select(AuditRecord).where(AuditRecord.action == "bulletin.sent")
        ).all()
        assert audit.details["audience"] == len(wanted)
        assert audit.target == f"bulletin:{bulletin_id}"
        done = progress(db.session.get(Bulletin, bulletin_id))
        assert (done.queued, done.sent, done.failed, done.done) == (0, len(wanted), 0, True)

    # Sending again, or running the sender again, reaches nobody a second time.
    assert send_now(room, bulletin_id).status_code == 302
    mailbox.messages.clear()
    run_sender(app)
    assert mailbox.messages == []


def test_audience_by_region_and_membership(app, room, mailbox):
    london_members = subscribers(app, 2, region="london", labour_member="yes")
    subscribers(app, 1, region="london", labour_member="no")
    subscribers(app, 1, region="wales", labour_member="yes")
    bulletin_id = write_bulletin(room, region="london", labour_member="yes")
    page = room.get(f"/organisers/bulletins/{bulletin_id}")
    assert "<strong>2</strong> people will receive it" in page.text
    send_now(room, bulletin_id)
    run_sender(app)
    assert recipients(mailbox) == sorted(london_members)
    page = room.get(f"/organisers/bulletins/{bulletin_id}").text
    assert "Confirmed bulletin subscribers in London who are Labour members: 2 when sent" in page


def test_expansion_run_twice_or_racing_queues_each_person_once(app, room, mailbox):
    subscribers(app, 7)
    bulletin_id = write_bulletin(room)
    send_now(room, bulletin_id)
    with app.app_context():
        assert expand_bulletin(bulletin_id, batch=3) == 7
        # As if the cursor were lost and the bulletin set going again: the unique
        # (bulletin, supporter) pair lets no second delivery in.
        db.session.execute(
            sa.update(Bulletin).where(Bulletin.id == bulletin_id)
            .values(status=SENDING, expanded_through=0, lease_until=None)
        )  # fmt: skip
        db.session.commit()
        assert expand_bulletin(bulletin_id, batch=3) == 0
    assert deliveries(app) == 7
    run_sender(app)
    assert len(mailbox.messages) == 7 and len(set(recipients(mailbox))) == 7


def test_a_process_dying_mid_expansion_is_resumed_after_its_lease_without_doubles(
    app, room, mailbox
):
    wanted = subscribers(app, 10)
    bulletin_id = write_bulletin(room)
    send_now(room, bulletin_id)
    start = utcnow()
    with app.app_context():
        # The first process queues one batch, then dies holding the lease.
        assert expand_bulletin(bulletin_id, now=start, batch=4, max_batches=1) == 4
        db.session.execute(
            sa.update(Bulletin).where(Bulletin.id == bulletin_id)
            .values(lease_until=start + dt.timedelta(minutes=2))
        )  # fmt: skip
        db.session.commit()
        # Another worker meanwhile keeps off: the lease is held.
        assert expand_bulletin(bulletin_id, now=start + dt.timedelta(seconds=30)) == 0
        # Once the lease has run out, the next one carries on where the first stopped.
        later = start + dt.timedelta(minutes=3)
        assert expand_bulletin(bulletin_id, now=later, batch=4) == 6
        assert db.session.get(Bulletin, bulletin_id).status == SENT
    run_sender(app)
    assert recipients(mailbox) == sorted(wanted)


def test_erased_after_queuing_gets_nothing(app, room, mailbox):
    wanted = subscribers(app, 3)
    bulletin_id = write_bulletin(room)
    send_now(room, bulletin_id)
    with app.app_context():
        expand_bulletin(bulletin_id)
        person = db.session.scalar(sa.select(Supporter).where(Supporter.email == wanted[0]))
        erase_supporter(person)
        db.session.commit()
        # Nothing of them is left in the bulletin's records either.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BulletinDelivery)) == 2
    run_sender(app)
    assert recipients(mailbox) == sorted(wanted[1:])


def test_one_click_unsubscribe_from_a_bulletin(app, room, client, mailbox):
    [reader, other] = subscribers(app, 2)
    send_now(room, write_bulletin(room))
    run_sender(app)
    [message] = mailbox.to(reader)
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://localhost/unsubscribe/")
    # What a mail client does for RFC 8058: a POST with this body, no cookie, no CSRF token.
    fresh = app.test_client()
    response = fresh.post(
        url.removeprefix("http://localhost"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    with app.app_context():
        row = db.session.scalar(sa.select(Supporter).where(Supporter.email == reader))
        assert not row.subscribed
    mailbox.messages.clear()
    send_now(room, write_bulletin(room, subject="The next one"))
    run_sender(app)
    assert recipients(mailbox) == [other]


def test_scheduled_bulletin_goes_only_at_its_time(app, room, mailbox):
    wanted = subscribers(app, 2)
    bulletin_id = write_bulletin(room)
    at_local = dt.datetime.now() + dt.timedelta(days=2)
    page = room.get(f"/organisers/bulletins/{bulletin_id}")
    response = room.post(
        f"/organisers/bulletins/{bulletin_id}/send",
        data={
            "when": "later",
            "send_at": at_local.strftime("%Y-%m-%dT%H:%M"),
            "csrf_token": csrf_from(page.text),
        },  # fmt: skip
    )
    assert response.status_code == 302
    row = bulletin_row(app, bulletin_id)
    assert row.status == "scheduled"
    run_sender(app)
    assert mailbox.messages == [] and deliveries(app) == 0
    assert "Scheduled for" in room.get(f"/organisers/bulletins/{bulletin_id}").text
    run_sender(app, now=row.send_at + dt.timedelta(seconds=1))
    assert recipients(mailbox) == sorted(wanted)
    assert bulletin_row(app, bulletin_id).status == SENT


def test_scheduled_bulletin_can_be_cancelled(app, room, mailbox):
    subscribers(app, 1)
    bulletin_id = write_bulletin(room)
    page = room.get(f"/organisers/bulletins/{bulletin_id}")
    at = (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"when": "later", "send_at": at, "csrf_token": csrf_from(page.text)}
    room.post(f"/organisers/bulletins/{bulletin_id}/send", data=data)
    page = room.get(f"/organisers/bulletins/{bulletin_id}")
    response = room.post(
        f"/organisers/bulletins/{bulletin_id}/cancel", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302
    assert bulletin_row(app, bulletin_id).status == "draft"
    run_sender(app, now=utcnow() + dt.timedelta(days=3))
    assert mailbox.messages == []


def test_progress_polls_until_done_then_stops(app, room, mailbox):
    subscribers(app, 3)
    bulletin_id = write_bulletin(room)
    send_now(room, bulletin_id)
    with app.app_context():
        expand_bulletin(bulletin_id)
    fragment = room.get(
        f"/organisers/bulletins/{bulletin_id}/progress", headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'hx-trigger="every 2s"' in fragment.text
    assert re.search(r'data-count="queued">3<', fragment.text)
    run_sender(app)
    fragment = room.get(
        f"/organisers/bulletins/{bulletin_id}/progress", headers={"HX-Request": "true"}
    )
    assert "hx-trigger" not in fragment.text
    assert re.search(r'data-count="sent">3<', fragment.text)
    page = room.get(f"/organisers/bulletins/{bulletin_id}")
    assert "Sent." in page.text and "<html" in page.text


def test_test_copy_goes_only_to_the_organiser(app, room, mailbox):
    subscribers(app, 2)
    bulletin_id = write_bulletin(room)
    page = room.get(f"/organisers/bulletins/{bulletin_id}")
    response = room.post(
        f"/organisers/bulletins/{bulletin_id}/test", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302
    run_sender(app)
    [message] = mailbox.messages
    assert message["To"] == "organiser@campaign.example"
    assert message["Subject"].startswith("[Test] Weekly bulletin")
    assert bulletin_row(app, bulletin_id).status == "draft"


def test_bulletin_messages_wait_in_the_bulk_lane(app, room):
    subscribers(app, 2)
    send_now(room, write_bulletin(room))
    with app.app_context():
        send_due_bulletins()
        lanes = db.session.scalars(sa.select(OutboxMessage.lane)).all()
        assert lanes == [BULK, BULK]
        assert db.session.scalars(sa.select(OutboxMessage.status)).all() == [QUEUED, QUEUED]


def test_the_workers_scheduled_job_starts_a_due_bulletin(app, room, mailbox):
    wanted = subscribers(app, 2)
    bulletin_id = write_bulletin(room)
    page = room.get(f"/organisers/bulletins/{bulletin_id}")
    at = (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"when": "later", "send_at": at, "csrf_token": csrf_from(page.text)}
    room.post(f"/organisers/bulletins/{bulletin_id}/send", data=data)
    send_at = bulletin_row(app, bulletin_id).send_at
    with app.app_context():
        assert "send-due-bulletins" in JOBS
        run_due_jobs(now=send_at - dt.timedelta(minutes=5))
        assert deliveries(app) == 0
        summaries = run_due_jobs(now=send_at + dt.timedelta(minutes=1))
        assert summaries["send-due-bulletins"] == "bulletins: 1 started, 2 messages queued"
    run_sender(app)
    assert recipients(mailbox) == sorted(wanted)


def test_links_in_copies_are_built_without_a_request(app):
    # The worker queues copies outside any request, and production sets no SERVER_NAME.
    app.config["SERVER_NAME"] = None
    with app.app_context():
        assert external_url("bulletins.archive_post", bulletin_id=7) == (
            "http://localhost/bulletins/7"
        )


def test_unsubscribing_mid_send_withdraws_the_queued_copy(app, room, client, mailbox):
    [leaver, stayer] = subscribers(app, 2)
    bulletin_id = write_bulletin(room)
    send_now(room, bulletin_id)
    with app.app_context():
        send_due_bulletins()  # both copies queued in the bulk lane, none sent yet
        person = db.session.scalar(sa.select(Supporter).where(Supporter.email == leaver))
        url = unsubscribe_url(person).removeprefix("http://localhost")
    response = app.test_client().post(
        url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    run_sender(app)
    assert recipients(mailbox) == [stayer]
    with app.app_context():
        done = progress(db.session.get(Bulletin, bulletin_id))
        assert done.queued == 0 and done.done
