"""The app over HTTP, as a browser without JavaScript (or htmx) meets it: the test app's
settings, CSRF tokens, logging in, and posting the forms with valid answers."""

from __future__ import annotations

import itertools
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.data import BULLETIN_BODY, form_data
from tests.support.factories import PASSWORD, make_organiser
from tests.support.mail import MailBox

_numbers = itertools.count(1)


def app_settings(database_url: str, mailbox: MailBox) -> dict[str, Any]:
    """What every test app is made with: the run's database, mail to the test SMTP server,
    mail sent by the outbox (not inline), no rate limits."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SERVER": mailbox.host,
        "MAIL_PORT": mailbox.port,
        "MAIL_SEND_INLINE": False,
        "RATELIMIT_ENABLED": False,
    }


# --- CSRF and logging in -----------------------------------------------------------------

# The hidden field as WTForms and the templates write it, attributes in any of these orders.
CSRF_INPUT = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"|'
    r'value="([^"]+)" name="csrf_token"'
)


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = CSRF_INPUT.search(html)
    assert match, "no csrf_token field in the page"
    return next(g for g in match.groups() if g)


def token(client: FlaskClient, path: str = "/organisers/password") -> str:
    """A CSRF token for the client's session, from a page with a form."""
    return csrf_from(client.get(path).text)


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """Log in through the real form; returns the response to the POST."""
    page = client.get("/organisers/login")
    return client.post(
        "/organisers/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
    )


def logged_in_client(app: Flask, role: str) -> FlaskClient:
    """A new client, logged in through the real form as a new account of `role`."""
    email = f"{role}{next(_numbers)}@campaign.example"
    make_organiser(app, email, role)
    client = app.test_client()
    response = log_in(client, email)
    assert response.status_code == 302, response.text
    return client


# --- the appeal ---------------------------------------------------------------------------

# What htmx sends with the sign form's request.
HTMX = {"HX-Request": "true", "HX-Target": "sign-form", "HX-Current-URL": "http://localhost/appeal"}
# An address of the documentation range (RFC 5737) that signs many times: a flood.
FLOOD = "203.0.113.66"


def sign(
    client: FlaskClient,
    headers: dict[str, str] | None = None,
    page: str = "/appeal",
    **overrides: object,
) -> TestResponse:
    """GET the appeal page for a CSRF token, then POST the form."""
    csrf = csrf_from(client.get(page).text)
    return client.post(
        "/appeal", data={"csrf_token": csrf, **form_data(**overrides)}, headers=headers or {}
    )


def sign_from(app: Flask, address: str, email: str) -> None:
    """Sign the appeal from the client address `address` (a new client each time)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    response = sign(client, email=email)
    assert response.status_code == 303


def visible_text(html: str) -> str:
    """The page's text without its tags, runs of white space made one space."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- bulletins ----------------------------------------------------------------------------


def write_bulletin(
    client: FlaskClient,
    subject: str = "Weekly bulletin",
    body: str = BULLETIN_BODY,
    **fields: str,
) -> int:
    """Write and save a draft through the room's form; its id."""
    page = client.get("/organisers/bulletins/new")
    data = {"subject": subject, "body": body, "csrf_token": csrf_from(page.text), "action": "save"}
    data.update(fields)
    response = client.post("/organisers/bulletins/new", data=data)
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def send_now(client: FlaskClient, bulletin_id: int, **fields: str) -> TestResponse:
    """Press "send now" on a saved bulletin."""
    page = client.get(f"/organisers/bulletins/{bulletin_id}")
    data = {"when": "now", "csrf_token": csrf_from(page.text), **fields}
    return client.post(f"/organisers/bulletins/{bulletin_id}/send", data=data)
