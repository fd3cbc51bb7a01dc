"""Embeds: framing only from listed origins, no cookies, and a sign form that passes CSRF
without one (a signed form token and the browser's Origin header)."""

from __future__ import annotations

import re

import pytest

from campaign.config import ConfigError, parse_origins
from tests.support.data import form_data
from tests.support.reads import snapshot, supporters

ALLY = "https://ally.example"
SITE = "http://localhost"  # the test app's own origin (SERVER_NAME = localhost)


@pytest.fixture
def app(app):
    app.config["EMBED_ORIGINS"] = parse_origins(f"{ALLY}, http://127.0.0.1:8080")
    return app


def frame_ancestors(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    return re.search(r"frame-ancestors ([^;]+)", csp).group(1)


def form_token(html: str) -> str:
    return re.search(r'id="form_token" name="form_token" type="hidden" value="([^"]+)"', html)[1]


def embedded_form(client, referrer: str | None = ALLY + "/our-group/") -> str:
    headers = {"Referer": referrer} if referrer else {}
    response = client.get("/embed/sign", headers=headers)
    assert response.status_code == 200
    return form_token(response.text)


def post_embedded(client, token: str, origin: str | None = SITE, **overrides):
    headers = {"Origin": origin} if origin else {}
    return client.post(
        "/embed/sign", data={"form_token": token, **form_data(**overrides)}, headers=headers
    )


@pytest.mark.parametrize("path", ["/embed/counter", "/embed/sign"])
def test_embeds_may_be_framed_by_listed_origins_only(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert frame_ancestors(response) == f"'self' {ALLY} http://127.0.0.1:8080"
    assert "X-Frame-Options" not in response.headers  # it cannot name a list
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "path", ["/", "/appeal", "/share", "/numbers", "/numbers/log", "/groups", "/organisers/login"]
)
def test_every_other_page_refuses_every_frame(client, path):
    response = client.get(path)
    assert frame_ancestors(response) == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_bad_embed_origins_refuse_to_start():
    with pytest.raises(ConfigError, match="not an origin"):
        parse_origins("https://ally.example/page")
    with pytest.raises(ConfigError, match="not an origin"):
        parse_origins(["javascript:alert(1)"])
    assert parse_origins("HTTPS://Ally.Example/, https://ally.example") == (ALLY,)
    assert parse_origins("") == ()


def test_embedded_signature_records_the_host_origin_and_sets_no_cookie(client, app):
    token = embedded_form(client)
    response = post_embedded(client, token)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/embed/sign/thanks?t=")
    assert "Set-Cookie" not in response.headers
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200 and "Set-Cookie" not in thanks.headers
    assert "check your e-mail" in thanks.text.lower()
    assert frame_ancestors(thanks).startswith("'self' ")
    assert 'target="_blank"' in thanks.text and "autofocus" not in thanks.text
    [row] = supporters(app)
    assert row.source == f"embed:{ALLY}"
    assert row.signed_at and row.confirmed_at is None  # the same double opt-in


def test_an_unlisted_or_missing_referrer_records_embed_without_an_origin(client, app):
    post_embedded(client, embedded_form(client, "https://stranger.example/"), email="a@x.org")
    post_embedded(client, embedded_form(client, None), email="b@x.org")
    assert [r.source for r in supporters(app)] == ["embed", "embed"]


def test_a_post_from_another_site_is_refused(client, app):
    before = snapshot(app)
    token = embedded_form(client)
    response = post_embedded(client, token, origin="https://attacker.example")
    assert response.status_code == 403
    assert "own page" in response.text
    assert snapshot(app) == before


def test_cross_site_fetch_metadata_without_origin_is_refused(client, app):
    before = snapshot(app)
    response = client.post(
        "/embed/sign",
        data={"form_token": embedded_form(client), **form_data()},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert snapshot(app) == before


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 5000])
def test_a_missing_or_forged_token_keeps_the_answers_and_asks_again(client, app, token):
    before = snapshot(app)
    response = post_embedded(client, token, first_name="Grace")
    assert response.status_code == 400
    assert "open for a long time" in response.text
    assert 'value="Grace"' in response.text  # the answers are kept
    assert form_token(response.text)  # with a fresh token to send them again
    assert snapshot(app) == before


def test_an_expired_token_is_refused(client, app):
    token = embedded_form(client)
    app.config["EMBED_FORM_MAX_AGE"] = -1  # every token is now too old
    before = snapshot(app)
    assert post_embedded(client, token).status_code == 400
    assert snapshot(app) == before


def test_a_token_made_for_another_purpose_is_refused(client, app):
    from campaign.security import make_token

    with app.test_request_context():
        other = make_token("appeal-thanks", {"host": ALLY})
    assert post_embedded(client, other).status_code == 400
    assert supporters(app) == []


def test_invalid_answers_are_shown_in_the_frame_with_a_422(client, app):
    response = post_embedded(client, embedded_form(client), first_name="")
    assert response.status_code == 422
    assert "Enter your first name" in response.text
    assert frame_ancestors(response).startswith("'self' ")
    assert form_token(response.text)
    assert supporters(app) == []


def test_the_embedded_form_needs_no_session_csrf_field(client):
    html = client.get("/embed/sign").text
    assert 'name="csrf_token"' not in html
    assert 'action="/embed/sign"' in html
    assert 'target="_blank"' in html  # the privacy notice opens outside the frame
    assert "<script" not in html  # works without JavaScript


def test_the_counter_embed_links_to_the_appeal_with_its_source(client):
    html = client.get("/embed/counter", headers={"Referer": ALLY + "/"}).text
    assert 'href="/appeal?source=embed:https://ally.example"' in html
    assert 'target="_blank"' in html


def test_share_page_offers_both_snippets(client):
    html = client.get("/share").text
    assert '&lt;iframe src="http://localhost/embed/counter" title=' in html
    assert '&lt;iframe src="http://localhost/embed/sign" title=' in html
    assert f"<code>{ALLY}</code>" in html


def test_the_embed_is_no_way_round_the_hold_on_floods(client, app):
    app.config["APPEAL_HOLD_AFTER"] = 1
    post_embedded(client, embedded_form(client), email="one@example.org")
    post_embedded(client, embedded_form(client), email="two@example.org")
    rows = {r.email: r for r in supporters(app)}
    assert rows["one@example.org"].held_at is None
    assert rows["two@example.org"].held_at is not None  # held for review, as on /appeal
