"""Organisers create, change, duplicate and cancel events; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
from xml.etree.ElementTree import fromstring as parse_xml

import icalendar
import pytest
import sqlalchemy as sa

from campaign.events.models import CANCELLED, Event
from campaign.events.services import (
    RSVP_CONFIRM,
    ask_for_place,
    confirm_place,
    rsvp_from_token,
)
from campaign.extensions import db
from campaign.models import utcnow
from campaign.organisers.models import AuditRecord
from tests.support.data import form_of_event
from tests.support.factories import add_event, add_group
from tests.support.web import csrf_from, logged_in_client


def events_in_db(app) -> list[Event]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Event).order_by(Event.id)))
        db.session.expunge_all()
        return rows


def test_an_organiser_publishes_an_event_that_the_public_sees(app, client):
    organiser = logged_in_client(app, "organiser")
    token = csrf_from(organiser.get("/organisers/events/new").text)
    response = organiser.post("/organisers/events/new", data=form_of_event(token))
    assert response.status_code == 303
    [event] = events_in_db(app)
    assert event.status == "published" and event.title == "Launch conference"
    # London 18:30 in winter is 18:30 UTC; the form speaks London time.
    assert event.starts_at.strftime("%H:%M") in ("18:30", "17:30")
    listing = client.get("/events")
    assert "Launch conference" in listing.text
    page = client.get(f"/events/{event.slug}")
    assert page.status_code == 200
    assert "<h2>Agenda</h2>" in page.text or "Agenda" in page.text
    assert "0 going" in page.text
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditRecord.action)).all()
    assert "event.created" in actions


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": "2020-01-01T10:00"}, "between 2000"),  # placeholder replaced below
        ({"capacity": "0"}, "from 1 to 5,000"),
        ({"capacity": "100000"}, "from 1 to 5,000"),
        ({"title": ""}, "Give the event a title"),
        ({"agenda": "Hello <script>alert(1)</script>"}, "script"),
        ({"agenda": "[click](javascript:alert(1))"}, "javascript"),
        ({"kind": "online", "online_url": ""}, "joining link"),
        ({"kind": "party"}, "Not a valid choice"),
    ],
)
def test_bad_events_are_refused_with_a_message_and_nothing_stored(app, change, message):
    organiser = logged_in_client(app, "organiser")
    token = csrf_from(organiser.get("/organisers/events/new").text)
    data = form_of_event(token, **change)
    if "ends_at" in change:  # an end before the start
        start = dt.datetime.strptime(data["starts_at"], "%Y-%m-%dT%H:%M")
        data["ends_at"] = (start - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        message = "end after it starts"
    response = organiser.post("/organisers/events/new", data=data)
    assert response.status_code in (409, 422)
    assert message in response.text
    assert events_in_db(app) == []


def test_an_event_in_the_past_is_refused(app):
    organiser = logged_in_client(app, "organiser")
    token = csrf_from(organiser.get("/organisers/events/new").text)
    data = form_of_event(token, starts_at="2024-05-01T18:00", ends_at="2024-05-01T20:00")
    response = organiser.post("/organisers/events/new", data=data)
    assert response.status_code == 409
    assert "must start in the future" in response.text
    assert events_in_db(app) == []


def test_an_unapproved_group_cannot_host(app):
    with app.app_context():
        group = add_group(status="confirmed")
        db.session.commit()
        group_id = group.id
    organiser = logged_in_client(app, "organiser")
    token = csrf_from(organiser.get("/organisers/events/new").text)
    response = organiser.post(
        "/organisers/events/new", data=form_of_event(token, group_id=str(group_id))
    )
    assert response.status_code == 422  # not even offered as a choice
    assert events_in_db(app) == []


def test_the_calendar_file_parses_and_keeps_its_uid_across_edits(app, client):
    organiser = logged_in_client(app, "organiser")
    token = csrf_from(organiser.get("/organisers/events/new").text)
    organiser.post("/organisers/events/new", data=form_of_event(token))
    [event] = events_in_db(app)
    first = icalendar.Calendar.from_ical(client.get(f"/events/{event.slug}.ics").data)
    [vevent] = first.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Launch conference"
    assert vevent.decoded("DTSTART").replace(tzinfo=None) == event.starts_at
    assert vevent.decoded("DTEND").replace(tzinfo=None) == event.ends_at
    assert str(vevent["STATUS"]) == "CONFIRMED"
    uid, sequence = str(vevent["UID"]), int(vevent["SEQUENCE"])

    edit = organiser.get(f"/organisers/events/{event.id}/edit")
    data = form_of_event(csrf_from(edit.text), title="Launch conference (new room)")
    assert organiser.post(f"/organisers/events/{event.id}/edit", data=data).status_code == 303
    [again] = icalendar.Calendar.from_ical(client.get(f"/events/{event.slug}.ics").data).walk(
        "VEVENT"
    )
    assert str(again["UID"]) == uid
    assert int(again["SEQUENCE"]) > sequence
    assert str(again["SUMMARY"]) == "Launch conference (new room)"

    cancel = organiser.get(f"/organisers/events/{event.id}/cancel")
    organiser.post(
        f"/organisers/events/{event.id}/cancel",
        data={"csrf_token": csrf_from(cancel.text), "reason": "The hall flooded."},
    )
    [cancelled] = icalendar.Calendar.from_ical(client.get(f"/events/{event.slug}.ics").data).walk(
        "VEVENT"
    )
    assert str(cancelled["STATUS"]) == "CANCELLED" and str(cancelled["UID"]) == uid


def test_the_feeds_list_upcoming_events(app, client):
    with app.app_context():
        add_event(title="Regional meeting, Leeds; the north")
        add_event(
            title="Last year's",
            starts_at=utcnow() - dt.timedelta(days=300),
            ends_at=utcnow() - dt.timedelta(days=300) + dt.timedelta(hours=2),
        )
        db.session.commit()
    calendar = icalendar.Calendar.from_ical(client.get("/events.ics").data)
    titles = [str(v["SUMMARY"]) for v in calendar.walk("VEVENT")]
    assert titles == ["Regional meeting, Leeds; the north"]
    feed = client.get("/events/feed.xml")
    assert feed.mimetype == "application/atom+xml"
    root = parse_xml(feed.data)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 2


def test_a_cancellation_reaches_everyone_who_replied(app, client, mailbox, deliver_mail):
    with app.app_context():
        event = add_event(capacity=1)
        ask_for_place(event, "going@example.org", "Going Person", False)
        ask_for_place(event, "waiting@example.org", "Waiting Person", False)
        db.session.commit()
    deliver_mail()
    for address in ("going@example.org", "waiting@example.org"):
        [confirm] = mailbox.to(address)
        link = next(u for u in mailbox.links(confirm) if "/events/confirm/" in u)
        with app.app_context():
            rsvp = rsvp_from_token(RSVP_CONFIRM, link.rsplit("/", 1)[1], None)
            confirm_place(rsvp)
            db.session.commit()
    mailbox.messages.clear()
    deliver_mail()
    organiser = logged_in_client(app, "organiser")
    event_id = events_in_db(app)[0].id
    cancel = organiser.get(f"/organisers/events/{event_id}/cancel")
    response = organiser.post(
        f"/organisers/events/{event_id}/cancel",
        data={"csrf_token": csrf_from(cancel.text), "reason": "The hall flooded."},
    )
    assert response.status_code == 303
    mailbox.messages.clear()
    deliver_mail()
    for address in ("going@example.org", "waiting@example.org"):
        [message] = mailbox.to(address)
        assert "Cancelled" in message["Subject"]
        assert "The hall flooded." in mailbox.text(message)
    assert events_in_db(app)[0].status == CANCELLED
    page = client.get(f"/events/{events_in_db(app)[0].slug}")
    assert "This event is cancelled" in page.text
    assert 'id="rsvp"' not in page.text  # no more replies


def test_duplicate_fills_the_form_and_stores_nothing(app):
    with app.app_context():
        event = add_event(title="Monthly meeting")
        db.session.commit()
        event_id = event.id
    organiser = logged_in_client(app, "organiser")
    page = organiser.get(f"/organisers/events/new?copy={event_id}")
    assert page.status_code == 200 and 'value="Monthly meeting"' in page.text
    assert len(events_in_db(app)) == 1


def test_a_past_events_title_can_be_corrected_but_not_moved_into_the_past(app):
    with app.app_context():
        start = utcnow().replace(second=0, microsecond=0) - dt.timedelta(days=2)
        event = add_event(title="Meting", starts_at=start, ends_at=start + dt.timedelta(hours=2))
        db.session.commit()
        event_id = event.id
    organiser = logged_in_client(app, "organiser")
    page = organiser.get(f"/organisers/events/{event_id}/edit")
    assert page.status_code == 200
    data = form_of_event(csrf_from(page.text))
    from campaign.events.services import utc_to_london

    with app.app_context():
        stored = db.session.get(Event, event_id)
        data["starts_at"] = f"{utc_to_london(stored.starts_at):%Y-%m-%dT%H:%M}"
        data["ends_at"] = f"{utc_to_london(stored.ends_at):%Y-%m-%dT%H:%M}"
    data["title"] = "Meeting"
    assert organiser.post(f"/organisers/events/{event_id}/edit", data=data).status_code == 303
    assert events_in_db(app)[0].title == "Meeting"
    moved = dict(data, starts_at="2024-01-01T10:00", ends_at="2024-01-01T12:00")
    response = organiser.post(f"/organisers/events/{event_id}/edit", data=moved)
    assert response.status_code == 409 and "must start in the future" in response.text
