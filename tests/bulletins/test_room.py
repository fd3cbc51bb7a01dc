"""The bulletin pages: access, bad input of every kind, preview, audience count, archive."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from campaign.bulletins.models import Bulletin
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from tests.support.data import BULLETIN_BODY
from tests.support.factories import make_organiser, subscribers
from tests.support.mail import run_sender
from tests.support.reads import bulletin_row, count, outbox_count
from tests.support.web import csrf_from, log_in, send_now, write_bulletin

HTMX = {"HX-Request": "true"}


def bulletins(app) -> int:
    return count(app, Bulletin)


@pytest.mark.parametrize(
    "path",
    ["/organisers/bulletins", "/organisers/bulletins/new", "/organisers/bulletins/1",
     "/organisers/bulletins/1/progress", "/organisers/bulletins/audience"],
)  # fmt: skip
def test_the_room_is_closed_to_visitors(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/organisers/login" in response.headers["Location"]


def test_sending_is_closed_to_visitors(app, client):
    for path in ("/organisers/bulletins/new", "/organisers/preview"):
        response = client.post(path, data={"subject": "x", "body": "y"})
        assert response.status_code in (302, 400)
    assert bulletins(app) == 0


def post_new(room, headers=None, **fields):
    page = room.get("/organisers/bulletins/new")
    data = {
        "subject": "Weekly",
        "body": BULLETIN_BODY,
        "csrf_token": csrf_from(page.text),
        "action": "save",
    }
    data.update(fields)
    return room.post("/organisers/bulletins/new", data=data, headers=headers or {})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": ""}, "Write a subject."),
        ({"subject": "   "}, "Write a subject."),
        ({"body": ""}, "Write the bulletin."),
        ({"body": "Hi <script>alert(1)</script>"}, "Remove the &lt;script&gt; tag"),
        ({"body": "[win](javascript:alert(1))"}, "Remove the javascript: link"),
        ({"body": "[win](JAVA&#x09;SCRIPT:alert(1))"}, "Remove the javascript: link"),
        ({"body": '<a href="#" onclick="steal()">x</a>'}, "Remove the “onclick” attribute"),
        ({"body": "![pixel](https://tracker.example/p.gif)"}, "Remove the image"),
        ({"body": "x" * 100_001}, "The bulletin is too long"),
        ({"subject": "a\x00b"}, "control characters"),
        ({"region": "atlantis"}, "Not a valid choice"),
    ],
)
def test_bad_drafts_are_refused_with_a_message_and_nothing_stored(app, room, fields, message):
    response = post_new(room, **fields)
    assert response.status_code == 422
    assert message in response.text
    assert "<html" in response.text  # without htmx: the whole page, the typed text kept
    fragment = post_new(room, headers=HTMX, **fields)
    assert fragment.status_code == 422 and message in fragment.text
    assert "<html" not in fragment.text and 'id="bulletin-form"' in fragment.text
    assert bulletins(app) == 0 and outbox_count(app) == 0


def test_five_megabytes_is_refused(app, room):
    for headers in ({}, HTMX):
        response = post_new(room, headers=headers, body="x" * (5 * 1024 * 1024))
        assert response.status_code == 413
        assert "too large" in response.text.lower()
    assert bulletins(app) == 0


def test_an_empty_audience_is_refused_and_nothing_sent(app, room, mailbox):
    subscribers(app, 2, region="london")
    bulletin_id = write_bulletin(room, region="wales")
    page = room.get(f"/organisers/bulletins/{bulletin_id}")
    assert "<strong>Nobody</strong> is in this audience" in page.text
    response = send_now(room, bulletin_id)
    assert response.status_code == 409 and "Nobody is in this audience" in response.text
    fragment = room.post(
        f"/organisers/bulletins/{bulletin_id}/send",
        data={"when": "now", "csrf_token": csrf_from(page.text)}, headers=HTMX,
    )  # fmt: skip
    assert fragment.status_code == 409 and "<html" not in fragment.text
    assert "Nobody is in this audience" in fragment.text
    assert bulletin_row(app, bulletin_id).status == "draft"
    run_sender(app)
    assert mailbox.messages == [] and outbox_count(app) == 0


@pytest.mark.parametrize(
    ("send_at", "message"),
    [
        ((dt.datetime.now() - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), "has passed"),
        ("", "Give the date and time"),
        ("yesterday", "Give the date and time"),
        ("9999-01-01T10:00", "between 2000 and 2100"),
    ],
)  # fmt: skip
def test_a_schedule_in_the_past_or_garbled_is_refused(app, room, send_at, message):
    subscribers(app, 1)
    bulletin_id = write_bulletin(room)
    page = room.get(f"/organisers/bulletins/{bulletin_id}")
    data = {"when": "later", "send_at": send_at, "csrf_token": csrf_from(page.text)}
    response = room.post(f"/organisers/bulletins/{bulletin_id}/send", data=data)
    assert response.status_code == 422 and message in response.text
    fragment = room.post(f"/organisers/bulletins/{bulletin_id}/send", data=data, headers=HTMX)
    assert fragment.status_code == 422 and "<html" not in fragment.text
    row = bulletin_row(app, bulletin_id)
    assert row.status == "draft" and row.send_at is None


def test_a_sent_bulletin_cannot_be_edited(app, room):
    subscribers(app, 1)
    bulletin_id = write_bulletin(room)
    send_now(room, bulletin_id)
    page = room.get("/organisers/bulletins/new")
    response = room.post(
        f"/organisers/bulletins/{bulletin_id}",
        data={"subject": "Changed", "body": "Changed", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 409
    assert bulletin_row(app, bulletin_id).subject == "Weekly bulletin"


def test_live_preview_is_a_safe_fragment(room):
    page = room.get("/organisers/bulletins/new")
    assert 'hx-post="/organisers/preview"' in page.text
    response = room.post(
        "/organisers/preview",
        data={"subject": "S", "body": "**Bold** and [a link](https://x.example)",
              "csrf_token": csrf_from(page.text)},
        headers=HTMX,
    )  # fmt: skip
    assert response.status_code == 200 and "<html" not in response.text
    assert "<strong>Bold</strong>" in response.text
    assert 'href="https://x.example"' in response.text
    bad = room.post(
        "/organisers/preview",
        data={"body": "<script>alert(1)</script>", "csrf_token": csrf_from(page.text)},
        headers=HTMX,
    )
    assert bad.status_code == 422 and "<script>alert" not in bad.text
    assert "Remove the &lt;script&gt; tag" in bad.text


def test_no_js_preview_button_shows_the_preview_and_stores_nothing(app, room):
    response = post_new(room, action="preview", body="## Heading\n\nSome *words*.")
    assert response.status_code == 200
    assert "<h2>Heading</h2>" in response.text and "<em>words</em>" in response.text
    assert "Some words." in response.text  # the plain-text part, shown too
    assert bulletins(app) == 0


def test_audience_count_fragment(app, room):
    subscribers(app, 3, region="london")
    subscribers(app, 1, region="wales")
    response = room.get("/organisers/bulletins/audience?region=london", headers=HTMX)
    assert response.status_code == 200 and "<html" not in response.text
    assert "<strong>3</strong> people will receive it" in response.text
    assert "<strong>4</strong>" in room.get("/organisers/bulletins/audience", headers=HTMX).text
    bad = room.get("/organisers/bulletins/audience?region=mars", headers=HTMX)
    assert bad.status_code == 400 and "<html" not in bad.text


def test_public_archive_shows_sent_public_bulletins_only(app, room, client):
    subscribers(app, 1)
    public_id = write_bulletin(room, subject="Open letter")
    private_id = write_bulletin(room, subject="Members only", private="y")
    draft_id = write_bulletin(room, subject="Not yet")
    send_now(room, public_id)
    send_now(room, private_id)
    archive = client.get("/bulletins")
    assert archive.status_code == 200
    assert "Open letter" in archive.text
    assert "Members only" not in archive.text and "Not yet" not in archive.text
    page = client.get(f"/bulletins/{public_id}")
    assert page.status_code == 200 and "Bring a friend" in page.text
    assert client.get(f"/bulletins/{private_id}").status_code == 404
    assert client.get(f"/bulletins/{draft_id}").status_code == 404
    assert client.get("/bulletins/99999999999999999999").status_code == 404


def test_index_lists_bulletins(app, room):
    write_bulletin(room, subject="First draft")
    page = room.get("/organisers/bulletins")
    assert page.status_code == 200 and "First draft" in page.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize("role", ["viewer", "moderator"])
def test_ranks_below_organiser_cannot_write_or_send(app, client, role):
    make_organiser(app, f"{role}@campaign.example", role)
    log_in(client, f"{role}@campaign.example")
    assert client.get("/organisers/bulletins").status_code == 403
    assert client.get("/organisers/bulletins/new").status_code == 403
    token = csrf_from(client.get("/appeal").text)  # any form of the session
    response = client.post(
        "/organisers/bulletins/new", data={"subject": "S", "body": "B", "csrf_token": token}
    )
    assert response.status_code == 403
    assert bulletins(app) == 0
