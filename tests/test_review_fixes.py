"""Holes a review found: forged Host headers, unreadable bytes, absurd numbers."""

import re

import sqlalchemy as sa
from conftest import csrf_from

from campaign.extensions import db
from campaign.groups.models import Group

FORGED_HOST = {"Host": "evil.example"}


def test_links_in_e_mails_ignore_a_forged_host_header(app, client, mailbox, deliver_mail):
    app.config["SERVER_NAME"] = None  # accept any Host, as a real deployment behind a proxy
    page = client.get("/appeal", headers=FORGED_HOST)
    response = client.post(
        "/appeal",
        headers=FORGED_HOST,
        data={
            "csrf_token": csrf_from(page.text),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.org",
            "postcode": "SW1A 1AA",
            "labour_member": "yes",
        },
    )
    assert response.status_code == 303, response.text[:500]
    deliver_mail()
    [message] = mailbox.to("ada@example.org")
    links = mailbox.links(message)
    assert links and all(link.startswith("http://localhost/") for link in links)
    assert "evil.example" not in message.as_string()


def test_news_page_number_in_other_digits_is_a_404(client):
    assert client.get("/news?page=²").status_code == 404


def group_form(client, **overrides):
    page = client.get("/groups/affiliate")
    return {
        "csrf_token": csrf_from(page.text),
        "name": "Leeds Labour Left",
        "kind": "local-left-group",
        "region": "yorkshire",
        "town": "Leeds",
        "contact_name": "Jo Bloggs",
        "contact_email": "jo@example.org",
        "decided_how": "At our AGM on 3 March",
        **overrides,
    }


def count_groups(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Group))


def test_absurd_representative_index_is_refused_not_a_500(app, client):
    data = group_form(client, **{"representatives-" + "9" * 5000 + "-name": "X"})
    response = client.post("/groups/affiliate", data=data)
    assert 400 <= response.status_code < 500
    assert count_groups(app) == 0


def test_unreadable_bytes_in_a_group_form_are_refused(app, client):
    token = csrf_from(client.get("/groups/affiliate").text)
    body = f"csrf_token={token}&name=Left%ff%feGroup&kind=other&region=london"
    response = client.post(
        "/groups/affiliate",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "could not read" in response.text
    assert count_groups(app) == 0


def test_group_link_pages_are_not_cached(app, client, mailbox, deliver_mail):
    assert client.post("/groups/affiliate", data=group_form(client)).status_code == 303
    deliver_mail()
    [message] = mailbox.to("jo@example.org")
    confirm = next(u for u in mailbox.links(message) if "/groups/confirm/" in u)
    response = client.get(re.sub(r"^http://localhost", "", confirm))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_ids_beyond_the_database_are_404(client):
    assert client.get("/organisers/supporters/99999999999999999999999").status_code in (302, 404)
    assert client.post("/groups/withdraw/x" + "9" * 30).status_code in (400, 404)


def test_query_args_drop_url_for_own_names(app):
    with app.test_request_context("/?q=leeds&endpoint=x&_external=1&_anchor=y"):
        assert app.jinja_env.globals["query_args"]() == {"q": "leeds"}


def test_supporter_cursor_with_a_huge_id_is_refused():
    import base64

    import pytest

    from campaign.organisers.supporters import BadCursor, decode_cursor

    cursor = base64.urlsafe_b64encode(b"2020-01-01T00:00:00|" + b"9" * 25).decode()
    with pytest.raises(BadCursor):
        decode_cursor(cursor)
