"""Sessions that end when they should: log-out ends every copy, lifetimes kept by the server,
htmx sent to the log-in page as a page, and nothing of the room left in a cache."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint

from campaign.organisers.access import allow
from campaign.organisers.models import ORGANISER
from tests.support.factories import ORGANISER_EMAIL, PASSWORD, make_organiser
from tests.support.web import log_in, token

NEW_PASSWORD = "an entirely new passphrase"


def session_cookie(client) -> str:
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None, "the client has no session cookie"
    return cookie.value


def replay(app, cookie: str, **headers):
    """A request from another client (its own cookie jar) carrying a saved session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie, domain="localhost")
    return other.get("/organisers/supporters", headers=headers)


def test_a_cookie_saved_before_log_out_is_refused_after_it(app, organiser_client):
    saved = session_cookie(organiser_client)
    # The copy works from another client while the session lives: the test can fail.
    assert replay(app, saved).status_code == 200
    organiser_client.post("/organisers/logout", data={"csrf_token": token(organiser_client)})
    refused = replay(app, saved)
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/organisers/login")
    # The same saved cookie on an htmx request: a full-page redirect, no body to swap in.
    refused = replay(app, saved, **{"HX-Request": "true"})
    assert refused.status_code == 401
    assert refused.headers["HX-Redirect"].startswith("/organisers/login")
    assert refused.get_data() == b""


def test_log_out_ends_the_sessions_of_other_browsers_too(app, client):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    laptop, phone = app.test_client(), app.test_client()
    assert log_in(laptop, ORGANISER_EMAIL).status_code == 302
    assert log_in(phone, ORGANISER_EMAIL).status_code == 302
    laptop.post("/organisers/logout", data={"csrf_token": token(laptop)})
    assert phone.get("/organisers/").status_code == 302
    # Logging in again works, and the new session is not undone by the old log-out.
    assert log_in(phone, ORGANISER_EMAIL).status_code == 302
    assert phone.get("/organisers/").status_code == 200


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, organiser_client):
    other = app.test_client()
    assert log_in(other, ORGANISER_EMAIL).status_code == 302
    saved = session_cookie(organiser_client)
    response = organiser_client.post(
        "/organisers/password",
        data={
            "csrf_token": token(organiser_client),
            "current": PASSWORD,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert organiser_client.get("/organisers/").status_code == 200
    assert other.get("/organisers/").status_code == 302
    assert replay(app, saved).status_code == 302


def test_disabling_from_the_cli_ends_a_copied_session(app, runner, organiser_client):
    saved = session_cookie(organiser_client)
    assert runner.invoke(args=["organisers", "disable", ORGANISER_EMAIL]).exit_code == 0
    assert replay(app, saved).status_code == 302


def test_a_tampered_generation_in_the_cookie_is_refused(app, organiser_client):
    with organiser_client.session_transaction() as session:
        ident, _, generation = session["_user_id"].partition(":")
        session["_user_id"] = f"{ident}:{int(generation) + 1}"
    assert organiser_client.get("/organisers/").status_code == 302


@pytest.mark.parametrize(
    ("key", "setting"),
    [
        ("organiser_seen_at", "ORGANISER_IDLE_SECONDS"),
        ("organiser_login_at", "ORGANISER_SESSION_SECONDS"),
    ],
)
def test_expired_session_on_an_htmx_request_gets_hx_redirect(app, organiser_client, key, setting):
    with organiser_client.session_transaction() as session:
        session[key] -= app.config[setting] + 5
    response = organiser_client.get(
        "/organisers/supporters?q=smith", headers={"HX-Request": "true"}
    )
    assert response.status_code == 401
    target = response.headers["HX-Redirect"]
    assert target.startswith("/organisers/login?next=")
    assert "<form" not in response.text and "<table" not in response.text
    page = organiser_client.get(target)
    assert "Your session has expired" in page.text
    # The session is really gone: without htmx too, the room is closed.
    assert organiser_client.get("/organisers/").status_code == 302


def test_a_session_used_within_the_idle_limit_goes_on(app, organiser_client):
    with organiser_client.session_transaction() as session:
        session["organiser_seen_at"] -= app.config["ORGANISER_IDLE_SECONDS"] - 60
    assert organiser_client.get("/organisers/").status_code == 200
    # The request restarted the idle clock.
    with organiser_client.session_transaction() as session:
        session["organiser_seen_at"] -= 120
    assert organiser_client.get("/organisers/").status_code == 200


def test_the_session_cookie_is_not_persistent(app, organiser_client):
    cookie = organiser_client.get_cookie("session", domain="localhost")
    assert cookie.expires is None  # gone when the browser closes; the server ends it anyway


def test_every_answer_from_the_room_is_no_store(app, organiser_client):
    pages = ["/organisers/", "/organisers/supporters", "/organisers/groups", "/organisers/audit"]
    for path in pages:
        response = organiser_client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
    fragment = organiser_client.get("/organisers/supporters", headers={"HX-Request": "true"})
    assert fragment.headers["Cache-Control"] == "no-store"
    missing = organiser_client.get("/organisers/no-such-page")
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "no-store"
    anonymous = app.test_client()
    assert anonymous.get("/organisers/login").headers["Cache-Control"] == "no-store"
    assert anonymous.get("/organisers/").headers["Cache-Control"] == "no-store"
    # Outside the room the public pages keep their own caching.
    assert anonymous.get("/").headers.get("Cache-Control") != "no-store"


def test_another_features_pages_under_the_room_get_the_same_guard(app, client):
    """A blueprint of another feature with URLs under /organisers/ is guarded for free."""
    bulletins = Blueprint("elsewhere", __name__, url_prefix="/organisers/elsewhere")

    @bulletins.get("/open")
    @allow(ORGANISER)
    def open_to_organisers() -> str:
        return "<p>for organisers</p>"

    @bulletins.get("/forgotten")
    def forgot_to_declare() -> str:
        return "<p>no role declared</p>"

    app.register_blueprint(bulletins)
    anonymous = client.get("/organisers/elsewhere/open")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/organisers/login")
    htmx = client.get("/organisers/elsewhere/open", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and "HX-Redirect" in htmx.headers

    make_organiser(app, ORGANISER_EMAIL, "organiser")
    log_in(client, ORGANISER_EMAIL)
    opened = client.get("/organisers/elsewhere/open")
    assert opened.status_code == 200 and opened.headers["Cache-Control"] == "no-store"
    # Undeclared means admins only.
    assert client.get("/organisers/elsewhere/forgotten").status_code == 403
    with client.session_transaction() as session:
        session["organiser_seen_at"] -= app.config["ORGANISER_IDLE_SECONDS"] + 5
    expired = client.get("/organisers/elsewhere/open", headers={"HX-Request": "true"})
    assert expired.status_code == 401 and re.match(
        "/organisers/login", expired.headers["HX-Redirect"]
    )
