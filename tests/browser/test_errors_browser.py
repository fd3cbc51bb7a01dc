"""Errors in a real Chromium: an expired form and a refused post (429) answered to the htmx
sign form land in the form's own problem area; what was typed stays, and one more press
of the button works once allowed."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from campaign.appeal.models import Supporter
from campaign.extensions import db, limiter
from tests.support.browser import fill_sign_form

pytestmark = pytest.mark.browser


def signed(live_server) -> list[str]:
    with live_server.app.app_context():
        return list(db.session.scalars(sa.select(Supporter.email)))


def expect_one_site(page) -> None:
    """No second copy of the site swapped into the form."""
    expect(page.locator("header.site-header")).to_have_count(1)
    expect(page.locator("footer")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)


def test_expired_form_is_told_in_place_and_the_second_press_signs(page, live_server):
    page.goto("/appeal")
    page.wait_for_function("window.htmx !== undefined")
    fill_sign_form(page)
    page.get_by_label("Why I signed (optional)").fill("Because the party is ours.")
    # The form sat open in its tab for longer than a form's token lives.
    live_server.app.config["WTF_CSRF_TIME_LIMIT"] = 1
    page.wait_for_timeout(2100)  # a form token's age is counted in whole seconds
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign the appeal").click()
    assert answer.value.status == 400
    problem = page.locator("#sign-form .form-problem")
    expect(problem).to_contain_text("This form had expired")
    expect(problem.get_by_role("alert")).to_contain_text("This form had expired")
    expect_one_site(page)
    expect(page.get_by_label("First name", exact=True)).to_have_value("Ada")
    expect(page.get_by_label("Why I signed (optional)")).to_have_value("Because the party is ours.")
    assert signed(live_server) == []

    live_server.app.config["WTF_CSRF_TIME_LIMIT"] = 8 * 3600
    page.get_by_role("button", name="Sign the appeal").click()
    expect(
        page.locator("#sign-form").get_by_role("heading", name="Thank you. Now check your e-mail.")
    ).to_be_visible()
    assert signed(live_server) == ["ada@example.org"]


def test_too_many_tries_are_told_in_place_with_the_time_to_wait(page, live_server):
    page.goto("/appeal")
    page.wait_for_function("window.htmx !== undefined")
    fill_sign_form(page)
    # Whoever shares this address has used up its sign-ups for the minute.
    limiter.enabled = True
    live_server.app.config["APPEAL_SIGN_RATE_LIMIT"] = "0/minute"
    try:
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Sign the appeal").click()
    finally:
        limiter.enabled = False
    assert answer.value.status == 429
    problem = page.locator("#sign-form .form-problem")
    expect(problem).to_contain_text(re.compile(r"try again in about \d+ minutes?"))
    expect_one_site(page)
    expect(page.get_by_label("Your e-mail address")).to_have_value("ada@example.org")
    assert signed(live_server) == []
