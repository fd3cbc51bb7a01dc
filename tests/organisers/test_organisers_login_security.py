"""A log-in that cannot be turned against its owner, and the optional second factor."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest

from campaign.extensions import db
from campaign.models import utcnow
from campaign.organisers.accounts import find_organiser
from campaign.organisers.models import LoginThrottle
from campaign.organisers.throttle import (
    PAIR,
    count_failure,
    keys_for,
    seconds_to_wait,
)
from tests.support.factories import ADMIN_EMAIL, ORGANISER_EMAIL, PASSWORD, make_organiser
from tests.support.reads import audit_rows
from tests.support.web import csrf_from, log_in

ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"


def client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def alert(html: str) -> str:
    match = re.search(r'role="alert"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


# --- throttling ---------------------------------------------------------------------------


def test_wrong_passwords_from_one_client_do_not_keep_the_owner_out(app):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    attacker = client_from(app, ATTACKER)
    statuses = [
        log_in(attacker, ORGANISER_EMAIL, f"guess number {n}").status_code for n in range(30)
    ]
    # Three free tries, then the attacker must wait: every further try is refused unchecked.
    assert statuses[:3] == [422, 422, 422] and set(statuses[3:]) == {429}
    # Even the right password is refused from the attacker's client while it waits...
    assert log_in(attacker, ORGANISER_EMAIL).status_code == 429
    # ...but the owner, from anywhere else, logs straight in.
    owner = client_from(app, OWNER)
    assert log_in(owner, ORGANISER_EMAIL).status_code == 302
    assert owner.get("/organisers/").status_code == 200
    failed = audit_rows(app, "login.failed")
    assert len(failed) == 31 and sum(r.details["throttled"] for r in failed) == 28
    assert {r.ip_hash for r in failed} != {None}


def test_the_throttle_answers_the_same_for_accounts_that_do_not_exist(app):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    known, unknown = client_from(app, "192.0.2.1"), client_from(app, "192.0.2.2")
    for _ in range(4):
        a = log_in(known, ORGANISER_EMAIL, "a wrong password")
        b = log_in(unknown, "nobody@campaign.example", "a wrong password")
        assert a.status_code == b.status_code
        # The same words; the seconds to wait may differ by one on a slow machine.
        assert re.sub(r"\d+", "N", alert(a.text)) == re.sub(r"\d+", "N", alert(b.text))
    assert "does not lock the account" in alert(a.text)


def test_waits_grow_and_end(app):
    with app.test_request_context():
        keys = keys_for("password", ORGANISER_EMAIL, ATTACKER)
        now = utcnow()
        waits = []
        for _ in range(6):
            count_failure(keys, now)
            waits.append(seconds_to_wait(keys, now))
            now += dt.timedelta(seconds=waits[-1])
        # Free tries, then 15 s doubling.
        assert waits == [0, 0, 15, 30, 60, 120]
        assert seconds_to_wait(keys, now) == 0  # the wait is over: one more try is allowed
        assert PAIR.wait_after(100) == PAIR.longest_wait
        db.session.commit()
        rows = db.session.scalars(db.select(LoginThrottle)).all()
        # Keyed hashes only: neither the address nor the e-mail is in the table.
        assert len(rows) == 2
        for row in rows:
            assert re.fullmatch(r"[0-9a-f]{64}", row.key)
            assert ATTACKER not in row.key and "organiser" not in row.key


def test_admins_see_failed_log_ins(app, admin_client):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    stranger = client_from(app, ATTACKER)
    for _ in range(2):
        log_in(stranger, ORGANISER_EMAIL, "not the password")
    log_in(stranger, "ghost@campaign.example", "not the password")
    page = admin_client.get("/organisers/accounts").text
    title = r'<td class="stacked__title">organiser@campaign.example<br>(.*?)</tr>'
    row = re.search(title, page, re.S)
    assert row and re.search(r">2</a></td>", row.group(1))
    assert "ghost@campaign.example: 1" in page


# --- the second factor ------------------------------------------------------------------


def enrol(client) -> tuple[str, list[str]]:
    """Set up TOTP through the pages; returns the secret and the recovery codes."""
    page = client.get("/organisers/two-factor")
    assert page.status_code == 200
    secret = re.search(r'<code class="secret-key">([A-Z2-7 ]+)</code>', page.text).group(1)
    secret = secret.replace(" ", "")

    csrf = csrf_from(page.text)
    wrong = client.post("/organisers/two-factor", data={"csrf_token": csrf, "code": "000000"})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    done = client.post(
        "/organisers/two-factor", data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()}
    )
    assert done.status_code == 200 and "Your recovery codes" in done.text
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", done.text)
    assert len(codes) == 10
    return secret, codes


def test_enrolment_shows_an_inline_svg_qr_code_the_csp_allows(app, organiser_client):
    page = organiser_client.get("/organisers/two-factor").text
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert 'class="qr"' in svg and "<path" in svg
    assert "style" not in svg and "<script" not in svg and " on" not in svg.split("d=")[0]
    # The page itself: no inline style or script anywhere.
    assert not re.search(r"<style|style=\"|<script(?![^>]*src=)", page)


def test_two_factor_enrolment_and_log_in(app, organiser_client):
    secret, codes = enrol(organiser_client)
    [enabled] = audit_rows(app, "2fa.enabled")
    assert enabled.actor == ORGANISER_EMAIL
    with app.app_context():
        organiser = find_organiser(ORGANISER_EMAIL)
        assert organiser.totp_secret == secret
        assert all(code not in str(organiser.__dict__) for code in codes)

    laptop = app.test_client()
    first = log_in(laptop, ORGANISER_EMAIL)
    assert first.status_code == 302 and first.headers["Location"] == "/organisers/login/code"
    # The password alone opens nothing.
    assert laptop.get("/organisers/").status_code == 302
    page = laptop.get("/organisers/login/code")

    csrf = csrf_from(page.text)
    # The code the enrolment used is spent; the next step's code works once.
    totp = pyotp.TOTP(secret)
    next_code = totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))
    wrong = laptop.post("/organisers/login/code", data={"csrf_token": csrf, "code": "123456"})
    assert wrong.status_code == 422 and "not right" in wrong.text
    ok = laptop.post("/organisers/login/code", data={"csrf_token": csrf, "code": next_code})
    assert ok.status_code == 302 and ok.headers["Location"] == "/organisers/"
    assert laptop.get("/organisers/").status_code == 200
    assert audit_rows(app, "login")[-1].details["second_factor"] == "app"

    # The same code replayed inside its window, from another browser: refused.
    thief = app.test_client()
    log_in(thief, ORGANISER_EMAIL)
    csrf = csrf_from(thief.get("/organisers/login/code").text)
    replayed = thief.post("/organisers/login/code", data={"csrf_token": csrf, "code": next_code})
    assert replayed.status_code == 422
    assert thief.get("/organisers/").status_code == 302

    # A recovery code works once.
    phone_lost = app.test_client()
    log_in(phone_lost, ORGANISER_EMAIL)
    csrf = csrf_from(phone_lost.get("/organisers/login/code").text)
    used = phone_lost.post(
        "/organisers/login/code", data={"csrf_token": csrf, "code": codes[0].upper()}
    )
    assert used.status_code == 302
    assert "9 recovery codes left" in phone_lost.get("/organisers/").text
    again = app.test_client()
    log_in(again, ORGANISER_EMAIL)
    csrf = csrf_from(again.get("/organisers/login/code").text)
    reused = again.post("/organisers/login/code", data={"csrf_token": csrf, "code": codes[0]})
    assert reused.status_code == 422


def test_the_code_step_expires_and_needs_the_password_first(app, organiser_client):
    secret, _ = enrol(organiser_client)
    stranger = app.test_client()
    assert stranger.get("/organisers/login/code").headers["Location"] == "/organisers/login"
    log_in(stranger, ORGANISER_EMAIL)
    with stranger.session_transaction() as session:
        pending = dict(session["organiser_second_step"])
        pending["at"] -= 301
        session["organiser_second_step"] = pending
    page = stranger.get("/organisers/login/code")
    assert page.status_code == 302 and page.headers["Location"] == "/organisers/login"


def test_turning_two_factor_off_needs_the_password(app, organiser_client):
    enrol(organiser_client)

    csrf = csrf_from(organiser_client.get("/organisers/two-factor").text)
    wrong = organiser_client.post(
        "/organisers/two-factor/off", data={"csrf_token": csrf, "off-password": "not mine at all"}
    )
    assert wrong.status_code == 422
    off = organiser_client.post(
        "/organisers/two-factor/off", data={"csrf_token": csrf, "off-password": PASSWORD}
    )
    assert off.status_code == 302
    assert [r.action for r in audit_rows(app) if r.action.startswith("2fa")] == [
        "2fa.enabled",
        "2fa.disabled",
    ]
    assert log_in(app.test_client(), ORGANISER_EMAIL).headers["Location"] == "/organisers/"


def test_admins_must_enrol_when_required(app, client):
    app.config["REQUIRE_ADMIN_2FA"] = True
    make_organiser(app, ADMIN_EMAIL, "admin")
    log_in(client, ADMIN_EMAIL)
    for path in ("/organisers/", "/organisers/audit", "/organisers/supporters"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/organisers/two-factor"
    htmx = client.get("/organisers/supporters", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/organisers/two-factor"
    enrol(client)
    assert client.get("/organisers/audit").status_code == 200

    csrf = csrf_from(client.get("/organisers/two-factor").text)
    refused = client.post(
        "/organisers/two-factor/off", data={"csrf_token": csrf, "off-password": PASSWORD}
    )
    assert refused.status_code == 409
    with app.app_context():
        assert find_organiser(ADMIN_EMAIL).has_second_factor
    # Organisers are not forced.
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    other = app.test_client()
    log_in(other, ORGANISER_EMAIL)
    assert other.get("/organisers/").status_code == 200


@pytest.mark.parametrize(("env", "expected"), [("production", True), ("development", False)])
def test_admin_two_factor_is_required_by_default_in_production(
    monkeypatch, tmp_path, env, expected
):
    from campaign.config import load_config

    monkeypatch.setenv("CAMPAIGN_ENV", env)
    from flask import Flask

    app = Flask("probe", instance_path=str(tmp_path))
    load_config(
        app,
        {
            "SECRET_KEY": "a-long-random-production-secret",
            "SITE_URL": "https://x.example",
            "MAIL_TRANSPORT": "smtp",
            "MAIL_SERVER": "mail.x.example",
        },
    )
    assert app.config["REQUIRE_ADMIN_2FA"] is expected
