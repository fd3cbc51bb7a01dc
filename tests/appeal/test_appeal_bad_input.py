"""Bad input of every kind: a clear message, a 4xx, never a 500, and no row changed."""

import pytest

from tests.support.data import form_data
from tests.support.reads import snapshot
from tests.support.web import HTMX, csrf_from, sign


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"first_name": "A" * 101}, "100 characters or fewer"),
        ({"last_name": "B" * 5000}, "100 characters or fewer"),
        ({"reason": "x" * 281}, "280 characters or fewer"),
        ({"trade_union": "U" * 101}, "100 characters or fewer"),
        ({"email": "a" * 250 + "@example.org"}, "too long"),
        ({"postcode": "SW1A 1AA SW1A 1AA"}, "too long for a postcode"),
        ({"country": "C" * 101, "outside_uk": "y"}, "100 characters or fewer"),
        ({"first_name": None}, "Enter your first name."),
        ({"last_name": "   "}, "Enter your last name."),
        ({"email": None}, "Enter your e-mail address."),
        ({"labour_member": "maybe"}, "Not a valid choice"),
        ({"first_name": "Ada\x00"}, "control characters"),
        ({"last_name": "Love\u202elace"}, "control characters"),
        ({"reason": "bell\x07"}, "control characters"),
        ({"trade_union": "Unite\x1b[31m"}, "control characters"),
        ({"email": "ada@exa mple.org"}, "valid e-mail address"),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["no-js", "htmx"])
def test_bad_fields_are_refused_with_a_message(client, app, overrides, message, headers):
    before = snapshot(app)
    response = sign(client, headers=headers, **overrides)
    assert response.status_code == 422
    assert message in response.text
    assert snapshot(app) == before


def test_post_without_csrf_is_refused(client, app):
    before = snapshot(app)
    response = client.post("/appeal", data=form_data())
    assert response.status_code == 400
    assert "reload the page" in response.text
    assert client.post("/bulletin", data={"email": "a@example.org"}).status_code == 400
    assert snapshot(app) == before


def test_post_with_wrong_csrf_is_refused(client, app):
    before = snapshot(app)
    client.get("/appeal")
    response = client.post("/appeal", data={"csrf_token": "forged", **form_data()})
    assert response.status_code == 400
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "body",
    [
        b"first_name=Ada%C3&last_name=Lovelace",  # a percent-escaped broken sequence
        b"first_name=Ad\xff\xfea&last_name=Lovelace",  # raw bytes that are not UTF-8
        b"first_name=%ED%A0%80&last_name=x",  # an encoded surrogate, invalid in UTF-8
    ],
)
def test_broken_utf8_body_is_refused(client, app, body):
    before = snapshot(app)
    token = csrf_from(client.get("/appeal").text)
    rest = "&".join(f"{k}={v}" for k, v in form_data(first_name=None, last_name=None).items())
    response = client.post(
        "/appeal",
        data=body + f"&csrf_token={token}&{rest}".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "could not read" in response.text
    assert snapshot(app) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["no-js", "htmx"])
def test_text_holding_the_replacement_character_is_refused(client, app, headers):
    # U+FFFD is what unreadable bytes become; sent as such, it is refused like them.
    before = snapshot(app)
    response = sign(client, headers=headers, first_name="Ada\ufffd")
    assert response.status_code == 400
    assert "could not read" in response.text
    assert snapshot(app) == before


def test_oversized_body_is_refused(client, app):
    before = snapshot(app)
    token = csrf_from(client.get("/appeal").text)
    response = client.post("/appeal", data={"csrf_token": token, **form_data(reason="x" * 300_000)})
    assert response.status_code == 413
    assert snapshot(app) == before


def test_wrong_method_and_types(client, app):
    before = snapshot(app)
    token = csrf_from(client.get("/appeal").text)
    multipart = client.post(
        "/appeal",
        data={"csrf_token": token, **form_data(), "show_publicly": ["y", "n"]},
        content_type="multipart/form-data",
    )
    assert multipart.status_code in {303, 422}  # a repeated box is still just "on"
    assert client.put("/appeal").status_code == 405
    assert client.get("/bulletin/confirm/").status_code == 404
    if multipart.status_code == 422:
        assert snapshot(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/appeal/confirm/forged",
        "/my-data/forged/erase",
        "/my-data/forged/bulletin",
        "/my-data/forged/sign",
        "/bulletin/confirm/forged",
        "/unsubscribe/forged",
    ],
)
def test_posts_with_forged_tokens_change_nothing(client, app, path):
    sign(client)
    before = snapshot(app)
    token = csrf_from(client.get("/appeal").text)
    response = client.post(path, data={"csrf_token": token, "action": "unsubscribe"})
    assert response.status_code == 400
    assert snapshot(app) == before
