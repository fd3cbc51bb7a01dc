"""Organiser accounts: log-in, lockout, log-out, own password, and the CLI."""

from __future__ import annotations

import sqlalchemy as sa

from campaign.extensions import db
from campaign.organisers.accounts import find_organiser
from campaign.organisers.models import Organiser
from tests.support.factories import ADMIN_EMAIL, ORGANISER_EMAIL, PASSWORD, make_organiser
from tests.support.reads import audit_rows
from tests.support.web import log_in, token


def test_login_page_renders(client):
    page = client.get("/organisers/login")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert 'for="email"' in page.text and 'autocomplete="current-password"' in page.text


def test_login_success_is_audited_and_opens_the_dashboard(app, client):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    response = log_in(client, ORGANISER_EMAIL.upper())
    assert response.status_code == 302 and response.headers["Location"] == "/organisers/"
    assert "Dashboard" in client.get("/organisers/").text
    [record] = audit_rows(app, "login")
    assert record.actor == ORGANISER_EMAIL and record.ip_hash
    with app.app_context():
        assert find_organiser(ORGANISER_EMAIL).last_login_at is not None


def test_wrong_password_is_refused_and_audited(app, client):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    response = log_in(client, ORGANISER_EMAIL, "not the password at all")
    assert response.status_code == 422
    assert "do not match an account" in response.text
    assert client.get("/organisers/").status_code == 302
    [record] = audit_rows(app, "login.failed")
    assert record.target == ORGANISER_EMAIL and record.details["throttled"] is False


def test_unknown_address_gets_the_same_answer(app, client):
    response = log_in(client, "stranger@example.org", "whatever password")
    assert response.status_code == 422
    assert "do not match an account" in response.text
    assert audit_rows(app, "login.failed")[0].target == "stranger@example.org"


def test_disabled_account_cannot_log_in(app, runner, client):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    runner.invoke(args=["organisers", "disable", ORGANISER_EMAIL])
    assert log_in(client, ORGANISER_EMAIL).status_code == 422


def test_empty_or_oversized_login_is_422(app, client):
    csrf = token(client, "/organisers/login")
    empty = client.post("/organisers/login", data={"csrf_token": csrf})
    assert empty.status_code == 422 and "Enter your e-mail address" in empty.text
    huge = client.post(
        "/organisers/login", data={"csrf_token": csrf, "email": "a" * 300, "password": "x"}
    )
    assert huge.status_code == 422


def test_logout_is_a_post_and_audited(app, organiser_client):
    assert organiser_client.get("/organisers/logout").status_code == 405
    response = organiser_client.post(
        "/organisers/logout", data={"csrf_token": token(organiser_client)}
    )
    assert response.status_code == 302
    assert organiser_client.get("/organisers/").status_code == 302
    assert [r.actor for r in audit_rows(app, "logout")] == [ORGANISER_EMAIL]


def test_change_own_password(app, organiser_client, client):
    csrf = token(organiser_client)
    wrong = organiser_client.post(
        "/organisers/password",
        data={
            "csrf_token": csrf,
            "current": "not it at all",
            "new": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    mismatch = organiser_client.post(
        "/organisers/password",
        data={
            "csrf_token": csrf,
            "current": PASSWORD,
            "new": "a brand new passphrase",
            "confirm": "something else entirely",
        },
    )
    assert mismatch.status_code == 422 and "differ" in mismatch.text
    short = organiser_client.post(
        "/organisers/password",
        data={"csrf_token": csrf, "current": PASSWORD, "new": "short", "confirm": "short"},
    )
    assert short.status_code == 422
    done = organiser_client.post(
        "/organisers/password",
        data={
            "csrf_token": csrf,
            "current": PASSWORD,
            "new": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert done.status_code == 302
    assert organiser_client.get("/organisers/").status_code == 200  # this session goes on
    assert len(audit_rows(app, "password.changed")) == 1
    organiser_client.post("/organisers/logout", data={"csrf_token": token(organiser_client)})
    assert log_in(organiser_client, ORGANISER_EMAIL).status_code == 422
    assert log_in(organiser_client, ORGANISER_EMAIL, "a brand new passphrase").status_code == 302


def test_cli_create_list_disable_set_password(app, runner):
    result = runner.invoke(
        args=["organisers", "create", ADMIN_EMAIL, "--role", "admin", "--name", "Ada Admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin admin@campaign.example" in result.output
    result = runner.invoke(
        args=["organisers", "create", ORGANISER_EMAIL, "--role", "organiser", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["organisers", "list"]).output
    assert "admin@campaign.example\tadmin\tactive" in listing and "Ada Admin" in listing
    assert runner.invoke(args=["organisers", "disable", ORGANISER_EMAIL]).exit_code == 0
    assert (
        f"{ORGANISER_EMAIL}\torganiser\tdisabled"
        in runner.invoke(args=["organisers", "list"]).output
    )
    result = runner.invoke(
        args=["organisers", "set-password", ADMIN_EMAIL, "--password-stdin"],
        input="another long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    actions = [(r.action, r.actor, r.target) for r in audit_rows(app)]
    assert actions == [
        ("organiser.created", "cli", ADMIN_EMAIL),
        ("organiser.created", "cli", ORGANISER_EMAIL),
        ("organiser.disabled", "cli", ORGANISER_EMAIL),
        ("organiser.password_set", "cli", ADMIN_EMAIL),
    ]
    with app.app_context():
        hashes = db.session.scalars(sa.select(Organiser.password_hash)).all()
    assert all(h.startswith("$argon2") for h in hashes)


def test_cli_refuses_bad_input_and_changes_nothing(app, runner):
    short = runner.invoke(
        args=["organisers", "create", ADMIN_EMAIL, "--role", "admin", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least 12" in short.output
    bad_role = runner.invoke(args=["organisers", "create", ADMIN_EMAIL, "--role", "boss"])
    assert bad_role.exit_code != 0
    missing = runner.invoke(args=["organisers", "disable", "nobody@example.org"])
    assert missing.exit_code != 0 and "No organiser" in missing.output
    make_organiser(app, ADMIN_EMAIL, "admin")
    duplicate = runner.invoke(
        args=["organisers", "create", ADMIN_EMAIL.upper(), "--role", "admin", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert duplicate.exit_code != 0 and "already an account" in duplicate.output
    assert audit_rows(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organiser)) == 1


def visible_message(html: str) -> str:
    """The log-in page's message, without the e-mail address it echoes back."""
    import re

    match = re.search(r'role="alert"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""
