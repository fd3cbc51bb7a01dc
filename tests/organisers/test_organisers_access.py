"""Access to the organisers' room: every route, every method, checked from the url map."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from campaign.extensions import db
from campaign.groups.models import Group
from campaign.organisers.access import PUBLIC, required_role
from campaign.organisers.models import ADMIN, ROLES, Organiser, role_at_least
from tests.support.factories import ORGANISER_EMAIL, PASSWORD, add_group, make_organiser
from tests.support.reads import audit_rows
from tests.support.web import log_in, token

METHODS = ("GET", "POST")


def organiser_rules(app):
    """Every (rule, method) under /organisers/, with sample URL arguments filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/organisers/"):
            continue
        url = re.sub(r"<int:[a-z_]+>", "1", rule.rule)
        for method in sorted(rule.methods & set(METHODS)):
            found.append((rule.endpoint, url, method))
    return found


def test_the_room_has_routes_and_each_declares_a_role(app):
    rules = organiser_rules(app)
    assert len({endpoint for endpoint, _, _ in rules}) >= 12
    with app.test_request_context():
        for endpoint, _, _ in rules:
            view = app.view_functions[endpoint]
            assert getattr(view, "organiser_role", None) in (PUBLIC, *ROLES), endpoint
            assert required_role(endpoint) in (PUBLIC, *ROLES)
    public = {e for e, _, _ in rules if app.view_functions[e].organiser_role == PUBLIC}
    # Log-in, its second step, and accepting an invitation: nothing else is open.
    assert public == {"organisers.login", "organisers.login_code", "organisers.accept_invite"}


def test_anonymous_visitors_are_sent_to_log_in_everywhere(app, client):
    csrf = token(client, "/organisers/login")
    for endpoint, url, method in organiser_rules(app):
        if app.view_functions[endpoint].organiser_role == PUBLIC:
            continue
        response = client.open(url, method=method, data={"csrf_token": csrf})
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/organisers/login"), (method, url)


def test_organisers_get_403_on_every_admin_route(app, organiser_client):
    csrf = token(organiser_client)
    admin_only = [
        r for r in organiser_rules(app) if app.view_functions[r[0]].organiser_role == ADMIN
    ]
    assert {e for e, _, _ in admin_only} >= {
        "organisers.audit",
        "organisers.accounts",
        "organisers.erase",
    }
    for _endpoint, url, method in admin_only:
        response = organiser_client.open(url, method=method, data={"csrf_token": csrf})
        assert response.status_code == 403, (method, url)
    for endpoint, url, method in organiser_rules(app):
        skip = app.view_functions[endpoint].organiser_role == PUBLIC or method != "GET"
        if (endpoint, url, method) in admin_only or skip:
            continue
        assert organiser_client.get(url).status_code in (200, 404), url


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_pages_of_its_rank(app, client, role):
    """The role-by-route matrix, from the url map: below a page's rank, 403; at or above, in."""
    make_organiser(app, f"{role}@example.org", role)
    log_in(client, f"{role}@example.org")
    for endpoint, url, method in organiser_rules(app):
        needed = required_role_of(app, endpoint)
        if needed == PUBLIC or method != "GET":
            continue
        status = client.get(url).status_code
        if role_at_least(role, needed):
            assert status in (200, 404), (role, url, status)
        else:
            assert status == 403, (role, url, status)


def required_role_of(app: Flask, endpoint: str) -> str:
    with app.test_request_context():
        return required_role(endpoint)


def test_the_database_refuses_an_unknown_role(app):
    make_organiser(app, "someone@example.org", "viewer")
    with app.app_context():
        organiser = db.session.execute(db.select(Organiser)).scalar_one()
        organiser.role = "superuser"
        with pytest.raises(Exception, match="(?i)check"):
            db.session.commit()
        db.session.rollback()


def test_admin_pages_open_for_admins(admin_client):
    assert admin_client.get("/organisers/audit").status_code == 200
    assert admin_client.get("/organisers/accounts").status_code == 200


def test_forged_session_cookie_is_refused(app, client):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    with app.app_context():
        from campaign.organisers.accounts import find_organiser

        ident = find_organiser(ORGANISER_EMAIL).get_id()
    forger = Flask("forger")
    forger.secret_key = "not-the-real-secret-key"
    forged = (
        SecureCookieSessionInterface()
        .get_signing_serializer(forger)
        .dumps({"_user_id": ident, "_fresh": True})
    )
    client.set_cookie("session", forged, domain="localhost")
    response = client.get("/organisers/")
    assert response.status_code == 302 and "/organisers/login" in response.headers["Location"]


def test_csrf_less_post_is_refused_and_changes_nothing(app, organiser_client):
    with app.app_context():
        group_id = add_group().id
        db.session.commit()
    response = organiser_client.post(f"/organisers/groups/{group_id}/approve")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Group, group_id).status == "confirmed"
    assert audit_rows(app, "group.approved") == []


def test_session_ends_when_the_password_changes_elsewhere(app, runner, organiser_client):
    assert organiser_client.get("/organisers/").status_code == 200
    result = runner.invoke(
        args=["organisers", "set-password", ORGANISER_EMAIL, "--password-stdin"],
        input="an entirely new passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert organiser_client.get("/organisers/").status_code == 302


def test_session_ends_when_the_account_is_disabled(app, runner, organiser_client):
    assert runner.invoke(args=["organisers", "disable", ORGANISER_EMAIL]).exit_code == 0
    assert organiser_client.get("/organisers/").status_code == 302


def test_idle_session_expires(app, organiser_client):
    with organiser_client.session_transaction() as session:
        session["organiser_seen_at"] -= app.config["ORGANISER_IDLE_SECONDS"] + 5
    response = organiser_client.get("/organisers/")
    assert response.status_code == 302
    page = organiser_client.get(response.headers["Location"]).text
    assert "Your session has expired" in page


def test_session_expires_after_its_lifetime(app, organiser_client):
    with organiser_client.session_transaction() as session:
        session["organiser_login_at"] -= app.config["ORGANISER_SESSION_SECONDS"] + 5
    assert organiser_client.get("/organisers/").status_code == 302


def test_htmx_requests_are_redirected_by_header(client):
    response = client.get("/organisers/supporters", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/organisers/login")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/elsewhere"])
def test_login_never_redirects_off_the_room(app, client, target):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    page = client.get("/organisers/login")
    response = client.post(
        f"/organisers/login?next={target}",
        data={
            "email": ORGANISER_EMAIL,
            "password": PASSWORD,
            "csrf_token": token(client, "/organisers/login"),
        },
    )
    assert page.status_code == 200
    assert response.headers["Location"] == "/organisers/"


def test_login_is_rate_limited(app, client):
    from campaign.extensions import limiter

    limiter.enabled = True  # tests run with limits off; this one checks the log-in's
    with app.app_context():  # the counters live in the database (or Redis)
        limiter.reset()
    try:
        # A new address each time, so the log-in throttle's own waits stay out of it.
        statuses = [
            log_in(client, f"x{n}@example.org", "wrong password!").status_code for n in range(11)
        ]
    finally:
        limiter.enabled = False
        with app.app_context():
            limiter.reset()
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
