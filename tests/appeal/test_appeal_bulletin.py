"""The bulletin sign-up: on the home and news pages, double opt-in, no enumeration."""

import pytest

from tests.support.mail import link, only_message
from tests.support.reads import snapshot, supporters
from tests.support.web import csrf_from

BULLETIN_HTMX = {"HX-Request": "true", "HX-Target": "bulletin"}


@pytest.mark.parametrize("page", ["/", "/news"])
def test_bulletin_form_is_on_home_and_news(client, page):
    html = client.get(page).text
    assert 'id="bulletin"' in html and 'hx-post="/bulletin"' in html
    assert 'action="/bulletin"' in html and 'name="csrf_token"' in html
    assert '<label for="bulletin-email">' in html


def subscribe(client, email="ada@example.org", headers=None, **extra):
    token = csrf_from(client.get("/").text)
    return client.post(
        "/bulletin", data={"csrf_token": token, "email": email, **extra}, headers=headers or {}
    )


def test_no_js_bulletin_signup_and_confirmation(client, app, mailbox, deliver_mail):
    response = subscribe(client)
    assert response.status_code == 303
    assert "check your e-mail" in client.get(response.headers["Location"]).text.lower()
    [row] = supporters(app)
    assert row.bulletin_consent and row.signed_at is None and row.confirmed_at is None
    assert not row.counted
    deliver_mail()
    message = only_message(mailbox, "ada@example.org")
    assert "/my-data/" in mailbox.text(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = link(message, "/bulletin/confirm/")
    page = client.get(url)
    assert "Confirm my subscription" in page.text
    assert supporters(app)[0].confirmed_at is None  # the GET changed nothing
    done = client.post(url, data={"csrf_token": csrf_from(page.text)})
    assert done.status_code == 303
    assert "You are subscribed" in client.get(done.headers["Location"]).text
    [row] = supporters(app)
    assert row.confirmed_at is not None and row.subscribed and not row.counted


def test_htmx_bulletin_success_and_error_fragments(client, app):
    ok = subscribe(client, headers=BULLETIN_HTMX)
    assert ok.status_code == 200 and "<html" not in ok.text
    assert 'id="bulletin"' in ok.text and "check your e-mail" in ok.text.lower()
    bad = subscribe(client, email="nobody@", headers=BULLETIN_HTMX)
    assert bad.status_code == 422 and "<html" not in bad.text
    assert 'role="alert"' in bad.text and "valid e-mail address" in bad.text
    assert len(supporters(app)) == 1


def test_no_js_bulletin_error_is_a_full_page(client, app):
    response = subscribe(client, email="")
    assert response.status_code == 422
    assert response.text.count("<h1") == 1 and "Enter your e-mail address." in response.text
    assert supporters(app) == []


def test_known_address_gets_same_answer_and_no_change(client, app, mailbox, deliver_mail):
    subscribe(client)
    deliver_mail()
    url = link(only_message(mailbox, "ada@example.org"), "/bulletin/confirm/")
    client.post(url, data={"csrf_token": csrf_from(client.get(url).text)})
    mailbox.messages.clear()
    before = snapshot(app)[0]
    response = subscribe(client, email="ADA@example.org")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/bulletin/thanks")
    assert snapshot(app)[0] == before
    deliver_mail()
    assert "already receive it" in mailbox.text(only_message(mailbox, "ada@example.org"))


def test_bulletin_honeypot_stores_nothing(client, app):
    response = subscribe(client, website="spam")
    assert response.status_code == 303
    assert supporters(app) == []


def test_one_click_unsubscribe_post_needs_no_csrf(client, app, mailbox, deliver_mail):
    subscribe(client)
    deliver_mail()
    message = only_message(mailbox, "ada@example.org")
    url = message["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    page = client.get(url)  # a GET shows a button and changes nothing
    assert page.status_code == 200 and "<button" in page.text
    assert supporters(app)[0].subscribed
    response = client.post(
        url,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    [row] = supporters(app)
    assert not row.bulletin_consent and row.unsubscribed_at is not None
    assert (
        client.post(
            url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
