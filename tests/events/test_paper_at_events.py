"""Paper sign-ups collected at a meeting, recorded as a batch tied to the event."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from campaign.extensions import db
from campaign.groups.models import APPROVED
from campaign.models import utcnow
from campaign.paper.models import PaperBatch
from campaign.tally import PAPER_TALLY, read_tallies
from tests.support.factories import add_event, add_group
from tests.support.web import csrf_from, logged_in_client

NEW = "/organisers/paper/new"


def test_a_batch_from_an_events_page_is_tied_to_it_and_counted(app):
    with app.app_context():
        group = add_group(status=APPROVED, name="Hackney Left")
        start = utcnow().replace(microsecond=0) - dt.timedelta(hours=3)
        event = add_event(
            title="Hackney meeting",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            group_id=group.id,
        )
        db.session.commit()
        event_id, group_id = event.id, group.id
    organiser = logged_in_client(app, "organiser")
    listing = organiser.get("/organisers/events")
    assert f"{NEW}?event={event_id}" in listing.text
    form = organiser.get(f"{NEW}?event={event_id}")
    assert form.status_code == 200
    assert f'<option selected value="{event_id}"' in form.text or (
        f'value="{event_id}" selected' in form.text
    )
    assert "Hackney meeting, Conway Hall" in form.text  # the place, filled in
    response = organiser.post(
        NEW,
        data={
            "csrf_token": csrf_from(form.text),
            "event_id": str(event_id),
            "collected_on": utcnow().date().isoformat(),
            "place": "Hackney meeting",
            "group_id": str(group_id),
            "signatures": "23",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        batch = db.session.scalar(sa.select(PaperBatch))
        assert batch.event_id == event_id and batch.signatures == 23
        assert read_tallies()[PAPER_TALLY] == 23


def test_a_batch_cannot_name_an_event_yet_to_come_or_unknown(app):
    with app.app_context():
        future = add_event(title="Next month")
        db.session.commit()
        future_id = future.id
    organiser = logged_in_client(app, "organiser")
    form = organiser.get(NEW)
    assert f'value="{future_id}"' not in form.text  # only events that have begun
    for event_id in (str(future_id), "999999", "abc"):
        response = organiser.post(
            NEW,
            data={
                "csrf_token": csrf_from(form.text),
                "event_id": event_id,
                "collected_on": utcnow().date().isoformat(),
                "place": "Somewhere",
                "group_id": "",
                "signatures": "5",
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 422
        assert "Choose one of the events that took place" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperBatch)) == 0
