"""Replying to an event: double opt-in, the waiting list, reminders, cancelling, erasure."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from campaign.events.models import GOING, PENDING, WAITING, Event, Rsvp
from campaign.events.services import purge_rsvps, send_reminders
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.models import utcnow
from campaign.scheduler import run_due_jobs
from tests.support.factories import add_event
from tests.support.web import csrf_from


def rsvps(app) -> list[Rsvp]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Rsvp).order_by(Rsvp.id)))
        db.session.expunge_all()
        return rows


def make_event(app, **values) -> str:
    with app.app_context():
        event = add_event(**values)
        db.session.commit()
        return event.slug


def reply(client, slug: str, email: str, name: str = "Alex Reader", htmx: bool = False, **extra):
    page = client.get(f"/events/{slug}")
    data = {"csrf_token": csrf_from(page.text), "name": name, "email": email, **extra}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/events/{slug}/rsvp", data=data, headers=headers)


def link(mailbox, address: str, part: str) -> str:
    found = [u for m in mailbox.to(address) for u in mailbox.links(m) if part in u]
    assert found, f"no {part} link to {address}"
    return found[-1].replace("http://localhost", "")


def confirm(client, mailbox, deliver_mail, address: str):
    deliver_mail()
    url = link(mailbox, address, "/events/confirm/")
    page = client.get(url)
    assert page.status_code == 200 and "Confirm my place" in page.text
    return client.post(url, data={"csrf_token": csrf_from(page.text)})


def test_rsvp_without_javascript_is_confirmed_by_the_emailed_button(
    app, client, mailbox, deliver_mail
):
    slug = make_event(app)
    response = reply(client, slug, "alex@example.org", name_me="y")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/events/{slug}/rsvp-sent")
    assert "Check your e-mail" in client.get(response.headers["Location"]).text
    [pending] = rsvps(app)
    assert pending.status == PENDING and pending.name_me
    # Opening the link (as a mail scanner would) changes nothing; only the button confirms.
    deliver_mail()
    client.get(link(mailbox, "alex@example.org", "/events/confirm/"))
    assert rsvps(app)[0].status == PENDING
    done = confirm(client, mailbox, deliver_mail, "alex@example.org")
    assert done.status_code == 303 and "/events/rsvp/" in done.headers["Location"]
    assert rsvps(app)[0].status == GOING
    assert "1 going" in client.get(f"/events/{slug}").text
    deliver_mail()
    [going] = [m for m in mailbox.to("alex@example.org") if "going" in m["Subject"].lower()]
    assert "Conway Hall" in mailbox.text(going)
    assert any("/events/" in u and u.endswith(".ics") for u in mailbox.links(going))


def test_rsvp_with_htmx_answers_a_fragment_in_place(app, client):
    slug = make_event(app)
    response = reply(client, slug, "alex@example.org", htmx=True)
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="rsvp"' in response.text
    assert "Check your e-mail" in response.text
    bad = reply(client, slug, "not-an-address", htmx=True)
    assert bad.status_code == 422
    assert "<html" not in bad.text and "E-mail address" in bad.text
    assert len(rsvps(app)) == 1


def test_replying_twice_reveals_nothing_and_keeps_one_row(app, client, mailbox, deliver_mail):
    slug = make_event(app)
    first = reply(client, slug, "alex@example.org")
    confirm(client, mailbox, deliver_mail, "alex@example.org")
    again = reply(client, slug, "Alex@Example.org")
    stranger = reply(client, slug, "someone-new@example.org")
    assert first.status_code == again.status_code == stranger.status_code == 303
    assert (
        client.get(again.headers["Location"]).text == client.get(stranger.headers["Location"]).text
    )
    assert [r.status for r in rsvps(app)] == [GOING, PENDING]


def test_an_inbox_is_not_flooded_by_repeated_replies(app, client, deliver_mail, mailbox):
    slug = make_event(app)
    for _ in range(12):
        assert reply(client, slug, "victim@example.org").status_code == 303
    deliver_mail()
    assert len(mailbox.to("victim@example.org")) == 5


def test_the_waiting_list_moves_up_when_a_place_frees(app, client, mailbox, deliver_mail):
    slug = make_event(app, capacity=1)
    reply(client, slug, "first@example.org")
    confirm(client, mailbox, deliver_mail, "first@example.org")
    page = client.get(f"/events/{slug}")
    assert "This event is full" in page.text and "Join the waiting list" in page.text
    reply(client, slug, "second@example.org")
    confirm(client, mailbox, deliver_mail, "second@example.org")
    assert [r.status for r in rsvps(app)] == [GOING, WAITING]
    deliver_mail()
    assert any("Waiting list" in m["Subject"] for m in mailbox.to("second@example.org"))

    manage = link(mailbox, "first@example.org", "/events/rsvp/")
    page = client.get(manage)
    assert "You're going" in page.text
    cancelled = client.post(manage, data={"csrf_token": csrf_from(page.text), "action": "cancel"})
    assert cancelled.status_code == 303
    assert [r.status for r in rsvps(app)] == ["cancelled", GOING]
    deliver_mail()
    assert any("A place is yours" in m["Subject"] for m in mailbox.to("second@example.org"))


def test_a_full_event_puts_a_reply_on_the_waiting_list_and_says_so(app, client):
    slug = make_event(app, capacity=1)
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        db.session.add(
            Rsvp(
                event_id=event.id,
                email="x@example.org",
                email_canonical="x@example.org",
                name="X",
                status=GOING,
                confirmed_at=utcnow(),
            )
        )
        db.session.commit()
    answer = reply(client, slug, "late@example.org", htmx=True)
    assert "waiting list" in answer.text


def test_replies_to_a_cancelled_event_are_refused(app, client):
    slug = make_event(app, status="cancelled", cancel_reason="Snow")
    page = client.get(f"/events/{slug}")
    assert 'id="rsvp"' not in page.text
    token = csrf_from(client.get("/events/propose").text)
    response = client.post(
        f"/events/{slug}/rsvp",
        data={"csrf_token": token, "name": "A", "email": "a@example.org"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "not taking replies" in response.text and "<html" not in response.text
    assert rsvps(app) == []


def test_the_reminder_is_sent_once_across_two_scheduler_runs(app, client, mailbox, deliver_mail):
    slug = make_event(
        app,
        starts_at=utcnow() + dt.timedelta(hours=20),
        ends_at=utcnow() + dt.timedelta(hours=22),
    )
    reply(client, slug, "alex@example.org")
    confirm(client, mailbox, deliver_mail, "alex@example.org")
    mailbox.messages.clear()
    with app.app_context():
        first = run_due_jobs()
        second = run_due_jobs()
        # Even when the job's period has passed, a reminded place is not reminded again.
        assert send_reminders(utcnow()) == 0
    assert "event-reminders" in first and "event-reminders" not in second
    deliver_mail()
    reminders = [m for m in mailbox.to("alex@example.org") if "Tomorrow" in m["Subject"]]
    assert len(reminders) == 1
    assert "/events/rsvp/" in " ".join(mailbox.links(reminders[0]))


def test_the_online_link_goes_only_to_people_who_replied(app, client, mailbox, deliver_mail):
    secret = "https://meet.example.org/secret-room"
    slug = make_event(app, kind="online", venue=None, online_url=secret)
    assert secret not in client.get(f"/events/{slug}").text
    assert secret not in client.get(f"/events/{slug}.ics").text
    reply(client, slug, "alex@example.org")
    confirm(client, mailbox, deliver_mail, "alex@example.org")
    deliver_mail()
    [going] = [m for m in mailbox.to("alex@example.org") if "going" in m["Subject"].lower()]
    assert secret in mailbox.text(going)


def test_erasing_a_reply_removes_it_and_its_mail(app, client, mailbox, deliver_mail):
    slug = make_event(app, capacity=1)
    reply(client, slug, "alex@example.org")
    confirm(client, mailbox, deliver_mail, "alex@example.org")
    reply(client, slug, "next@example.org")
    confirm(client, mailbox, deliver_mail, "next@example.org")
    deliver_mail()
    manage = link(mailbox, "alex@example.org", "/events/rsvp/")
    page = client.get(manage)
    assert "alex@example.org" in page.text  # what we hold, shown to its owner
    erased = client.post(manage, data={"csrf_token": csrf_from(page.text), "action": "erase"})
    assert erased.status_code == 200 and "erased" in erased.text
    assert [r.email for r in rsvps(app)] == ["next@example.org"]
    assert rsvps(app)[0].status == GOING  # the freed place went to the waiting list
    with app.app_context():
        left = db.session.scalars(
            sa.select(OutboxMessage.recipient).where(OutboxMessage.recipient == "alex@example.org")
        ).all()
    assert left == []
    assert client.get(manage).status_code == 404  # the link dies with the row


def test_links_that_are_forged_or_mangled_are_refused(app, client):
    assert client.get("/events/rsvp/not-a-token").status_code == 400
    assert client.get("/events/confirm/" + "x" * 2000).status_code == 400
    assert client.get("/events/no-such-event").status_code == 404
    assert client.get("/events/no-such-event.ics").status_code == 404


def test_retention_deletes_unconfirmed_and_old_replies(app, client):
    slug = make_event(app)
    old_slug = make_event(
        app,
        starts_at=utcnow() - dt.timedelta(days=40),
        ends_at=utcnow() - dt.timedelta(days=40) + dt.timedelta(hours=2),
    )
    with app.app_context():
        for event_slug, status, created in [
            (slug, PENDING, utcnow() - dt.timedelta(days=8)),  # never confirmed
            (slug, GOING, utcnow() - dt.timedelta(days=8)),  # kept: event to come
            (old_slug, GOING, utcnow() - dt.timedelta(days=50)),  # event long over
        ]:
            event = db.session.scalar(sa.select(Event).where(Event.slug == event_slug))
            n = len(db.session.scalars(sa.select(Rsvp)).all())
            db.session.add(
                Rsvp(
                    event_id=event.id,
                    email=f"p{n}@example.org",
                    email_canonical=f"p{n}@example.org",
                    name=f"P{n}",
                    status=status,
                    created_at=created,
                    confirmed_at=created if status == GOING else None,
                )
            )
        db.session.commit()
        assert purge_rsvps(utcnow()) == 2
        db.session.commit()
    assert [r.email for r in rsvps(app)] == ["p1@example.org"]


def test_a_supporters_my_data_shows_and_erasure_removes_their_replies(
    app, client, mailbox, deliver_mail
):
    from campaign.appeal.models import Supporter
    from campaign.appeal.services import MY_DATA, SignatureDetails, sign_appeal, supporter_token

    slug = make_event(app)
    reply(client, slug, "alex@example.org", name="Alex Reader")
    confirm(client, mailbox, deliver_mail, "alex@example.org")
    with app.app_context():
        sign_appeal(SignatureDetails(email="alex@example.org", first_name="Alex", last_name="R"))
        db.session.commit()
        supporter = db.session.scalar(sa.select(Supporter))
        token = supporter_token(MY_DATA, supporter)
    page = client.get(f"/my-data/{token}")
    assert "Replies to events" in page.text and "Networking meeting" in page.text
    erase = client.get(f"/my-data/{token}/erase")
    done = client.post(f"/my-data/{token}/erase", data={"csrf_token": csrf_from(erase.text)})
    assert done.status_code in (200, 303)
    assert rsvps(app) == []


def test_replying_can_sign_the_appeal_in_the_same_step(app, client, mailbox, deliver_mail):
    from campaign.appeal.models import Supporter

    slug = make_event(app)
    one_word = reply(client, slug, "cher@example.org", name="Cher", also_sign="y", htmx=True)
    assert one_word.status_code == 422 and "first and last name" in one_word.text
    assert rsvps(app) == []
    response = reply(client, slug, "ada@example.org", name="Ada King Lovelace", also_sign="y")
    assert response.status_code == 303
    with app.app_context():
        supporter = db.session.scalar(sa.select(Supporter))
        assert (supporter.first_name, supporter.last_name) == ("Ada King", "Lovelace")
        assert supporter.confirmed_at is None  # the appeal's own double opt-in
        assert supporter.source == f"event:{slug}"
    deliver_mail()
    subjects = sorted(m["Subject"] for m in mailbox.to("ada@example.org"))
    assert len(subjects) == 2 and any("place" in s for s in subjects)


def test_a_closed_campaign_takes_no_replies_and_erases_them_after_its_date(app, client):
    from campaign.closure import close_campaign

    slug = make_event(app)
    reply(client, slug, "early@example.org")
    with app.app_context():
        close_campaign(anonymise_after_days=10, now=utcnow())
        db.session.commit()
    late = reply(client, slug, "late@example.org", htmx=True)
    assert late.status_code == 409 and "campaign has closed" in late.text
    assert [r.email for r in rsvps(app)] == ["early@example.org"]
    with app.app_context():
        assert "not due" in run_due_jobs(utcnow())["erase-rsvps-after-close"]
    with app.app_context():
        later = utcnow() + dt.timedelta(days=11)
        assert "1 RSVPs erased" in run_due_jobs(later)["erase-rsvps-after-close"]
    assert rsvps(app) == []
