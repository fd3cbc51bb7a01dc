"""The organisers' room's safeguards in a real Chromium: an expired session during an htmx
search loads the log-in page (not a form inside the table), the personal-data ceiling's
refusal takes the results' place, and two-factor set-up and log-in work under the CSP."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyotp
from flask import Flask
from playwright.sync_api import expect

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.models import utcnow
from campaign.organisers.accounts import create_organiser

PASSWORD = "correct horse battery staple"
ORGANISER = "organiser@campaign.example"


def make_room(app: Flask, supporters: int) -> None:
    """One organiser account and some supporters who agreed to contact."""
    with app.app_context():
        create_organiser(ORGANISER, "Olu", "organiser", PASSWORD)
        now = utcnow()
        for n in range(supporters):
            db.session.add(
                Supporter(
                    email=f"person{n}@example.org",
                    email_canonical=f"person{n}@example.org",
                    first_name="Pat",
                    last_name=f"Person{n}",
                    postcode="SW1A 1AA",
                    region="london",
                    bulletin_consent=True,
                    referral_code=f"code{n:08d}",
                    created_at=now - dt.timedelta(minutes=n),
                    signed_at=now,
                    confirmed_at=now,
                )
            )
        db.session.commit()


def log_in(page: Any, lands_on: str = "Dashboard") -> None:
    page.goto("/organisers/login")
    page.get_by_label("E-mail address").fill(ORGANISER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text(lands_on)


def test_an_expired_session_during_an_htmx_search_loads_the_log_in_page(page, live_server):
    make_room(live_server.app, 3)
    log_in(page)
    page.goto("/organisers/supporters")
    expect(page.locator("#supporter-results table")).to_be_visible()
    live_server.app.config["ORGANISER_IDLE_SECONDS"] = 0  # as if the organiser went to lunch
    page.get_by_label("Search").fill("Person1")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/organisers/login\?next="))
    expect(page.locator("h1")).to_have_text("Organisers' log-in")
    expect(page.get_by_text("Your session has expired")).to_be_visible()
    # The whole page is the log-in page: no supporters' table with a form inside it.
    expect(page.locator("#supporter-results")).to_have_count(0)
    expect(page.locator("form")).to_have_count(1)


def test_the_ceiling_refusal_takes_the_results_place(page, live_server):
    live_server.app.config["PERSONAL_RECORDS_PER_HOUR"] = 60
    make_room(live_server.app, 120)
    log_in(page)
    page.goto("/organisers/supporters")
    expect(page.locator("#supporter-results tbody tr")).to_have_count(50)
    page.get_by_role("link", name="Next page").click()
    results = page.locator("#supporter-results")
    expect(results.get_by_role("alert")).to_contain_text("as many supporters")
    expect(results.locator("tbody tr")).to_have_count(0)
    expect(page.locator("h1")).to_have_text("Supporters")  # still the same page around it
    expect(page.locator("h1")).to_have_count(1)


def test_two_factor_set_up_and_log_in(page, new_page, live_server):
    make_room(live_server.app, 0)
    log_in(page)
    page.get_by_role("link", name="Two-factor").click()
    expect(page.locator("svg.qr")).to_be_visible()
    box = page.locator("svg.qr").bounding_box()
    assert box and box["width"] > 150  # big enough for a phone's camera
    secret = page.locator("code.secret-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor log-in").click()
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)

    other = new_page()
    log_in(other, lands_on="Your log-in code")
    other.get_by_label("Code").fill(totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)))
    other.get_by_role("button", name="Log in").click()
    expect(other.locator("h1")).to_have_text("Dashboard")
