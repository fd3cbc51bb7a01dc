"""Statements and news written in the room: on home, the list, tag pages and the feed."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from markupsafe import escape

from campaign.bulletins.models import Bulletin
from campaign.content import current_content
from campaign.extensions import db
from campaign.models import utcnow
from campaign.news.models import RoomPost
from campaign.organisers.models import AuditRecord
from tests.support.factories import make_organiser, subscribers
from tests.support.mail import run_sender
from tests.support.web import csrf_from, log_in

HTMX = {"HX-Request": "true"}
ATOM = "{http://www.w3.org/2005/Atom}"
BODY = "We stand with the **strikers**. [Donate](https://strike.example/fund)."


def write_post(room, headers=None, **fields):
    page = room.get("/organisers/news/new")
    data = {
        "title": "Solidarity with the strikers",
        "author": "The steering committee",
        "summary": "Our statement on this week's strikes.",
        "tags": "Strikes, Trade Unions",
        "body": BODY,
        "csrf_token": csrf_from(page.text),
        "action": "save",
    }
    data.update(fields)
    return room.post("/organisers/news/new", data=data, headers=headers or {})


def saved_post(room, **fields) -> int:
    response = write_post(room, **fields)
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def publish(room, post_id: int, **fields):
    page = room.get(f"/organisers/news/{post_id}")
    data = {"when": "now", "csrf_token": csrf_from(page.text), **fields}
    return room.post(f"/organisers/news/{post_id}/publish", data=data)


def posts(app) -> list[RoomPost]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(RoomPost)))
        db.session.expunge_all()
        return rows


def feed_entries(client) -> list[ET.Element]:
    response = client.get("/news/feed.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data).findall(f"{ATOM}entry")


def visible_everywhere(client, slug: str, title: str) -> dict[str, bool]:
    return {
        "home": title in client.get("/").text,
        "list": title in client.get("/news").text,
        "tag": title in client.get("/news/tag/strikes").text,
        "post": client.get(f"/news/{slug}").status_code == 200,
        "feed": any(e.findtext(f"{ATOM}title") == title for e in feed_entries(client)),
    }


def test_a_post_published_in_the_room_appears_everywhere(app, room):
    post_id = saved_post(room)
    visitor = app.test_client()
    assert visitor.get("/news/solidarity-with-the-strikers").status_code == 404  # a draft
    assert publish(room, post_id).status_code == 302

    title = "Solidarity with the strikers"
    seen = visible_everywhere(visitor, "solidarity-with-the-strikers", title)
    assert seen == {"home": True, "list": True, "tag": True, "post": True, "feed": True}
    page = visitor.get("/news/solidarity-with-the-strikers").text
    assert "<strong>strikers</strong>" in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta property="og:title" content="Solidarity with the strikers">' in page
    assert '<meta property="og:description" content="Our statement on this week' in page
    assert '<meta property="article:tag" content="trade-unions">' in page
    # One list, newest first: the new post heads it, the seed files from content/news/ follow.
    with app.app_context():
        newest_file = current_content().news[0].title
    listing = visitor.get("/news").text
    assert listing.index("Solidarity with the strikers") < listing.index(escape(newest_file))
    [first, *rest] = feed_entries(visitor)
    assert first.findtext(f"{ATOM}title") == "Solidarity with the strikers"
    assert "<strong>strikers</strong>" in first.findtext(f"{ATOM}content")
    assert rest, "the seed posts are in the feed too"
    with app.app_context():
        [audit] = db.session.scalars(
            sa.select(AuditRecord).where(AuditRecord.action == "news.published")
        ).all()
        assert audit.target == "news:solidarity-with-the-strikers"


def test_a_scheduled_post_appears_only_at_its_time(app, room):
    post_id = saved_post(room, title="Conference statement", slug="conference-statement")
    at = (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = publish(room, post_id, when="later", send_at=at)
    assert response.status_code == 302
    visitor = app.test_client()
    assert visible_everywhere(visitor, "conference-statement", "Conference statement") == {
        "home": False, "list": False, "tag": False, "post": False, "feed": False,
    }  # fmt: skip
    with app.app_context():  # the time comes
        db.session.execute(
            sa.update(RoomPost).values(publish_at=utcnow() - dt.timedelta(minutes=1))
        )
        db.session.commit()
    assert visible_everywhere(visitor, "conference-statement", "Conference statement") == {
        "home": True, "list": True, "tag": True, "post": True, "feed": True,
    }  # fmt: skip


def test_unpublishing_takes_a_post_off_the_site(app, room):
    post_id = saved_post(room)
    publish(room, post_id)
    page = room.get(f"/organisers/news/{post_id}")
    response = room.post(
        f"/organisers/news/{post_id}/unpublish", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302
    assert app.test_client().get("/news/solidarity-with-the-strikers").status_code == 404


def test_editing_a_published_post_changes_it_on_the_site(app, room):
    post_id = saved_post(room)
    publish(room, post_id)
    page = room.get(f"/organisers/news/{post_id}")
    response = room.post(
        f"/organisers/news/{post_id}",
        data={"title": "Solidarity, updated", "author": "Steering committee",
              "summary": "Updated.", "tags": "strikes", "body": "New words.",
              "csrf_token": csrf_from(page.text), "action": "save"},
    )  # fmt: skip
    assert response.status_code == 302
    page = app.test_client().get("/news/solidarity-with-the-strikers").text
    assert "Solidarity, updated" in page and "New words." in page


@pytest.mark.parametrize("slug", ["one-small-step-forward", "solidarity-with-the-strikers"])
def test_a_slug_that_exists_is_refused(app, room, slug):
    saved_post(room)  # takes solidarity-with-the-strikers
    before = posts(app)
    response = write_post(room, title="Another", slug=slug)
    assert response.status_code == 422
    assert f"A post at /news/{slug} exists already" in response.text
    fragment = write_post(room, headers=HTMX, title="Another", slug=slug)
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert [p.title for p in posts(app)] == [p.title for p in before]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Write a title."),
        ({"summary": ""}, "Write a summary."),
        ({"body": " "}, "Write the post."),
        ({"body": "<script>alert(1)</script>"}, "Remove the &lt;script&gt; tag"),
        ({"body": "[x](javascript:alert(document.cookie))"}, "Remove the javascript: link"),
        ({"slug": "Not A Slug!"}, "small letters, digits and single hyphens"),
        ({"tags": ",".join(f"t{i}" for i in range(11))}, "At most 10 tags."),
    ],
)
def test_bad_posts_are_refused_and_nothing_stored(app, room, fields, message):
    response = write_post(room, **fields)
    assert response.status_code == 422 and message in response.text
    fragment = write_post(room, headers=HTMX, **fields)
    assert fragment.status_code == 422 and message in fragment.text
    assert "<html" not in fragment.text and 'id="post-form"' in fragment.text
    assert posts(app) == []


def test_five_megabytes_of_post_is_refused(app, room):
    response = write_post(room, body="x" * (5 * 1024 * 1024))
    assert response.status_code == 413
    assert posts(app) == []


def test_a_schedule_in_the_past_is_refused(app, room):
    post_id = saved_post(room)
    past = (dt.datetime.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = publish(room, post_id, when="later", send_at=past)
    assert response.status_code == 422 and "That time has passed" in response.text
    [row] = posts(app)
    assert row.status == "draft" and row.publish_at is None


def test_publish_and_mail_as_a_bulletin_in_one_step(app, room, mailbox):
    readers = subscribers(app, 2)
    post_id = saved_post(room)
    assert publish(room, post_id, as_bulletin="y").status_code == 302
    run_sender(app)
    assert sorted(m["To"] for m in mailbox.messages) == sorted(readers)
    message = mailbox.messages[0]
    assert message["Subject"].startswith("Solidarity with the strikers")
    text = mailbox.text(message)
    assert "Our statement on this week’s strikes." in text  # smartened quotes
    assert "http://localhost/news/solidarity-with-the-strikers" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_mailing_to_nobody_refuses_the_whole_step(app, room, mailbox):
    post_id = saved_post(room)
    response = publish(room, post_id, as_bulletin="y")
    assert response.status_code == 409 and "Nobody is in this audience" in response.text
    [row] = posts(app)
    assert row.status == "draft"  # not published either: nothing changed
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Bulletin)) == 0


@pytest.mark.parametrize("role", ["viewer", "moderator"])
def test_ranks_below_organiser_cannot_write_posts(app, client, role):
    make_organiser(app, f"{role}@campaign.example", role)
    log_in(client, f"{role}@campaign.example")
    assert client.get("/organisers/news").status_code == 403
    token = csrf_from(client.get("/appeal").text)
    response = client.post("/organisers/news/new", data={"title": "T", "csrf_token": token})
    assert response.status_code == 403
    assert posts(app) == []


def test_the_feed_is_valid_atom_with_the_seed_posts(client):
    entries = feed_entries(client)
    assert 1 <= len(entries) <= 20
    for entry in entries:
        assert entry.findtext(f"{ATOM}id").startswith("http://localhost/news/")
        assert entry.find(f"{ATOM}link").get("href") == entry.findtext(f"{ATOM}id")
    assert 'type="application/atom+xml"' in client.get("/").text


def test_the_room_lists_posts_and_previews_them(app, room):
    post_id = saved_post(room)
    listing = room.get("/organisers/news")
    assert listing.status_code == 200 and "Solidarity with the strikers" in listing.text
    page = room.get(f"/organisers/news/{post_id}")
    assert 'hx-post="/organisers/preview"' in page.text
    preview = room.post(
        "/organisers/preview",
        data={"title": "A title", "body": "*Hi*", "csrf_token": csrf_from(page.text)},
        headers=HTMX,
    )
    assert preview.status_code == 200 and "<em>Hi</em>" in preview.text
    assert "A title" in preview.text and "<html" not in preview.text
