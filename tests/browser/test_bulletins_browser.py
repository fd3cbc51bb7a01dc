"""Writing a bulletin in a real Chromium: the preview follows the typing, the audience is
counted as it is chosen, a test goes to oneself, and sending shows its progress; without
JavaScript the Preview button does the same job.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaign.bulletins.services import send_due_bulletins
from campaign.extensions import db
from campaign.organisers.accounts import create_organiser
from tests.support.factories import add_supporter

ORGANISER = "organiser@campaign.example"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def organiser(app, cheap_password_hashing) -> str:
    """An organiser account (argon2 at its smallest cost, as the room's tests use)."""
    with app.app_context():
        create_organiser(ORGANISER, "Olive Organiser", "organiser", PASSWORD)
        for region in ("london", "london", "wales"):
            add_supporter(region=region)
        db.session.commit()
    return ORGANISER


def log_in(page) -> None:
    page.goto("/organisers/login")
    page.get_by_label("E-mail address").fill(ORGANISER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def test_write_preview_live_save_test_and_send(page, live_server, organiser):
    log_in(page)
    page.get_by_role("navigation", name="Organisers").get_by_role("link", name="Bulletins").click()
    page.get_by_role("link", name="Write a bulletin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write a bulletin")

    page.get_by_label("Subject").fill("Saturday's meeting")
    body = page.get_by_label("The bulletin")
    body.fill("## Come along\n\nWe meet on **Saturday**. [The agenda](https://lla.example/agenda)")
    preview = page.locator("#preview")
    # htmx posts the text after a pause in the typing and swaps the preview in.
    expect(preview.locator("h2", has_text="Come along")).to_be_visible()
    expect(preview.locator(".bulletin-preview__body strong")).to_have_text("Saturday")
    expect(preview.get_by_role("link", name="The agenda")).to_have_attribute(
        "href", "https://lla.example/agenda"
    )
    # A script is refused in the preview itself, and never runs.
    body.fill("Hello <script>document.title='owned'</script>")
    expect(preview.get_by_role("alert")).to_contain_text("Remove the <script> tag")
    expect(page).not_to_have_title("owned")
    body.fill("We meet on **Saturday**.")
    expect(preview.locator(".bulletin-preview__body strong")).to_have_text("Saturday")

    # The audience is counted as it is chosen.
    expect(page.locator("#audience-count")).to_contain_text("3 people will receive it")
    page.get_by_label("Region").select_option("wales")
    expect(page.locator("#audience-count")).to_contain_text("1 person will receive it")
    page.get_by_label("Region").select_option("london")
    expect(page.locator("#audience-count")).to_contain_text("2 people will receive it")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("The draft is saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bulletin (draft)")

    page.get_by_role("button", name="Send a test to myself").click()
    expect(page.get_by_text(f"A test copy is on its way to {ORGANISER}.")).to_be_visible()
    live_server.deliver_mail()
    [test_copy] = live_server.mailbox.to(ORGANISER)
    assert test_copy["Subject"].startswith("[Test] Saturday's meeting")

    page.get_by_role("button", name="Send the bulletin").click()
    expect(page.get_by_text("Sending to 2 people.")).to_be_visible()
    progress = page.locator("#progress")
    expect(progress).to_have_attribute("hx-trigger", "every 2s")
    # The worker's job queues the copies and sends them; the panel updates in place.
    with live_server.app.app_context():
        send_due_bulletins()
    while any(live_server.deliver_mail().values()):
        pass
    expect(progress.locator('[data-count="sent"]')).to_have_text("2")
    expect(progress).to_contain_text("Sent.")
    expect(progress).not_to_have_attribute("hx-trigger", re.compile("."))
    assert len(live_server.mailbox.messages) == 3


def test_preview_button_without_javascript(page_without_js, live_server, organiser):
    page = page_without_js
    log_in(page)
    page.goto("/organisers/bulletins/new")
    page.get_by_label("Subject").fill("No script here")
    page.get_by_label("The bulletin").fill("Plain *Markdown* works.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview em")).to_have_text("Markdown")
    expect(page.get_by_label("The bulletin")).to_have_value("Plain *Markdown* works.")
    page.get_by_label("The bulletin").fill("[bad](javascript:alert(1))")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert").first).to_contain_text("Remove the javascript: link")
