"""Groups propose events; organisers decide; reports name only those who asked; access."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from campaign.events.models import GOING, PROPOSED, PUBLISHED, Event, Rsvp
from campaign.extensions import db
from campaign.groups.models import APPROVED
from campaign.models import utcnow
from campaign.organisers.models import AuditRecord
from tests.support.data import form_of_event
from tests.support.factories import add_event, add_group
from tests.support.web import csrf_from, logged_in_client


def event_row(app, slug: str) -> Event:
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        db.session.expunge_all()
        return event


def test_an_affiliated_groups_contact_proposes_and_a_moderator_publishes(
    app, client, mailbox, deliver_mail
):
    with app.app_context():
        group = add_group(status=APPROVED)
        db.session.commit()
        contact, name = group.contact_email, group.name
    page = client.get("/events/propose")
    sent = client.post(
        "/events/propose", data={"csrf_token": csrf_from(page.text), "email": contact}
    )
    stranger = client.post(
        "/events/propose", data={"csrf_token": csrf_from(page.text), "email": "nobody@example.org"}
    )
    assert sent.text == stranger.text  # says nothing about who is a group's contact
    deliver_mail()
    assert mailbox.to("nobody@example.org") == []
    [message] = mailbox.to(contact)
    url = next(u for u in mailbox.links(message) if "/events/propose/" in u)
    url = url.replace("http://localhost", "")
    form = client.get(url)
    assert form.status_code == 200 and name in form.text
    bad = client.post(url, data=form_of_event(csrf_from(form.text), agenda="<script>x</script>"))
    assert bad.status_code == 422 and "script" in bad.text
    proposed = client.post(url, data=form_of_event(csrf_from(form.text), title="Leeds meeting"))
    assert proposed.status_code == 200 and "proposed" in proposed.text
    with app.app_context():
        event = db.session.scalar(sa.select(Event))
        assert event.status == PROPOSED and event.group_id == group.id
        slug, event_id = event.slug, event.id
    assert client.get(f"/events/{slug}").status_code == 404  # not public until decided
    assert "Leeds meeting" not in client.get("/events").text

    moderator = logged_in_client(app, "moderator")
    listing = moderator.get("/organisers/events?status=proposed")
    assert "Leeds meeting" in listing.text
    decided = moderator.post(
        f"/organisers/events/{event_id}/decide",
        data={"csrf_token": csrf_from(listing.text), "decision": "publish"},
    )
    assert decided.status_code == 303
    assert event_row(app, slug).status == PUBLISHED
    assert client.get(f"/events/{slug}").status_code == 200
    deliver_mail()
    assert any("Published" in m["Subject"] for m in mailbox.to(contact))


def test_a_link_for_a_group_that_is_not_affiliated_is_refused(app, client):
    from campaign.events.services import PROPOSE
    from campaign.security import make_token

    with app.app_context():
        group = add_group(status="confirmed")
        db.session.commit()
        token = make_token(PROPOSE, group.id)
    assert client.get(f"/events/propose/{token}").status_code == 400
    assert client.get("/events/propose/forged").status_code == 400


def test_the_report_shows_votes_and_only_names_that_consented(app, client):
    with app.app_context():
        group = add_group(status=APPROVED, name="Hackney Left")
        start = utcnow() - dt.timedelta(days=1)
        event = add_event(starts_at=start, ends_at=start + dt.timedelta(hours=2))
        people = [
            ("Ada Named", True, True),  # present and consented: named
            ("Ben Private", False, True),  # present, did not consent
            ("Cat Absent", True, False),  # consented, not marked present
        ]
        for n, (name, name_me, present) in enumerate(people):
            db.session.add(
                Rsvp(
                    event_id=event.id,
                    email=f"p{n}@example.org",
                    email_canonical=f"p{n}@example.org",
                    name=name,
                    name_me=name_me,
                    status=GOING,
                    confirmed_at=start - dt.timedelta(days=2),
                    checked_in_at=start if present else None,
                )
            )
        db.session.commit()
        event_id, slug, group_id = event.id, event.slug, group.id
    organiser = logged_in_client(app, "organiser")
    page = organiser.get(f"/organisers/events/{event_id}/report")
    data = {
        "csrf_token": csrf_from(page.text),
        "report": "We adopted the **constitution**.",
        "motions-0-title": "Adopt the constitution",
        "motions-0-votes_for": "80",
        "motions-0-votes_against": "12",
        "motions-0-abstentions": "3",
        "groups": str(group_id),
    }
    assert organiser.post(f"/organisers/events/{event_id}/report", data=data).status_code == 303
    public = client.get(f"/events/{slug}").text
    assert "<strong>constitution</strong>" in public
    assert "Adopt the constitution" in public and ">80<" in public and ">12<" in public
    assert "Carried" in public and "Hackney Left" in public
    assert "Ada Named" in public
    assert "Ben Private" not in public and "Cat Absent" not in public


def test_a_report_with_negative_votes_or_script_is_refused(app):
    with app.app_context():
        start = utcnow() - dt.timedelta(days=1)
        event = add_event(starts_at=start, ends_at=start + dt.timedelta(hours=2))
        db.session.commit()
        event_id = event.id
    organiser = logged_in_client(app, "organiser")
    page = organiser.get(f"/organisers/events/{event_id}/report")
    for data in (
        {"report": "ok", "motions-0-title": "M", "motions-0-votes_for": "-5"},
        {"report": "<script>alert(1)</script>"},
        {"report": ""},
    ):
        response = organiser.post(
            f"/organisers/events/{event_id}/report",
            data={"csrf_token": csrf_from(page.text), **data},
        )
        assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Event, event_id).report_published_at is None


@pytest.mark.parametrize("path", ["door", "sheet", "rsvps.csv"])
def test_a_viewer_sees_the_list_but_no_names(app, path):
    with app.app_context():
        event = add_event()
        db.session.commit()
        event_id = event.id
    viewer = logged_in_client(app, "viewer")
    assert viewer.get("/organisers/events").status_code == 200
    assert viewer.get(f"/organisers/events/{event_id}/{path}").status_code == 403


def test_door_list_search_check_in_and_export_are_audited(app):
    with app.app_context():
        event = add_event()
        for n, name in enumerate(["Łukasz Nowak", "Mary Smith"]):
            db.session.add(
                Rsvp(
                    event_id=event.id,
                    email=f"p{n}@example.org",
                    email_canonical=f"p{n}@example.org",
                    name=name,
                    status=GOING,
                    confirmed_at=utcnow(),
                )
            )
        db.session.commit()
        event_id = event.id
    organiser = logged_in_client(app, "organiser")
    found = organiser.get(
        f"/organisers/events/{event_id}/door?q=mary", headers={"HX-Request": "true"}
    )
    assert found.status_code == 200 and "<html" not in found.text
    assert "Mary Smith" in found.text and "Nowak" not in found.text
    assert found.headers["Cache-Control"].startswith("no-store")
    with app.app_context():
        mary = db.session.scalar(sa.select(Rsvp).where(Rsvp.name == "Mary Smith"))
    marked = organiser.post(
        f"/organisers/events/{event_id}/door/{mary.id}",
        data={"csrf_token": csrf_from(found.text), "present": "yes"},
        headers={"HX-Request": "true"},
    )
    assert marked.status_code == 200 and "Present" in marked.text
    export = organiser.get(f"/organisers/events/{event_id}/rsvps.csv")
    assert export.status_code == 200 and "Łukasz Nowak" in export.text
    with app.app_context():
        assert db.session.get(Rsvp, mary.id).checked_in_at is not None
        actions = db.session.scalars(sa.select(AuditRecord.action).order_by(AuditRecord.id)).all()
    assert {"rsvps.viewed", "rsvp.checked_in", "rsvps.exported"} <= set(actions)


def test_names_at_the_door_count_against_the_hourly_ceiling(app):
    app.config["PERSONAL_RECORDS_PER_HOUR"] = 3
    with app.app_context():
        event = add_event()
        for n in range(2):
            db.session.add(
                Rsvp(
                    event_id=event.id,
                    email=f"p{n}@example.org",
                    email_canonical=f"p{n}@example.org",
                    name=f"Person {n}",
                    status=GOING,
                    confirmed_at=utcnow(),
                )
            )
        db.session.commit()
        event_id = event.id
    organiser = logged_in_client(app, "organiser")
    assert organiser.get(f"/organisers/events/{event_id}/door").status_code == 200  # 2 shown
    refused = organiser.get(f"/organisers/events/{event_id}/door", headers={"HX-Request": "true"})
    assert refused.status_code == 429 and "Person 0" not in refused.text
    assert refused.headers["HX-Retarget"] == "#door-results"
    assert organiser.get(f"/organisers/events/{event_id}/rsvps.csv").status_code == 429
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditRecord.action)).all()
    assert "supporters.ceiling" in actions
