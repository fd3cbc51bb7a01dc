"""The appeal in a real Chromium: signing with and without htmx, the e-mailed links, my data."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from campaign.appeal.models import Supporter
from campaign.appeal.services import SignatureDetails, sign_appeal
from campaign.extensions import db
from tests.support.browser import DESKTOP, PHONE, fill_sign_form, shot
from tests.support.mail import MailBox

pytestmark = pytest.mark.browser

SHARE_LINKS = ["WhatsApp", "Bluesky", "X", "Facebook", "E-mail"]


# --- helpers ---------------------------------------------------------------------------


def supporter(live_server, email: str) -> Supporter | None:
    """The supporter row for an address as the database holds it now, detached."""
    with live_server.app.app_context():
        row = db.session.scalar(sa.select(Supporter).where(Supporter.email == email))
        db.session.expunge_all()
        return row


def someone_who_signed(live_server, email: str = "rosa@example.org") -> Supporter:
    """A supporter who signed earlier (through the service, as the form would)."""
    with live_server.app.app_context():
        sign_appeal(SignatureDetails(email=email, first_name="Rosa", last_name="Luxemburg"))
        db.session.commit()
    return supporter(live_server, email)


def mail_link(live_server, address: str, path: str) -> str:
    """The link containing `path` in the one message sent to `address`."""
    live_server.deliver_mail()
    [message] = live_server.mailbox.to(address)
    return next(link for link in MailBox.links(message) if path in link)


def assert_share_links(panel, code: str) -> None:
    """Every share link of the panel carries the referral code, and so does the copy field."""
    for name in SHARE_LINKS:
        href = panel.get_by_role("link", name=name, exact=True).get_attribute("href")
        assert f"ref={code}" in unquote(href), f"{name}: {href}"
    expect(panel.get_by_label("Or copy this link")).to_have_value(re.compile(f"ref={code}$"))


# --- signing with JavaScript on --------------------------------------------------------


def test_sign_with_htmx_then_confirm_from_the_email(page, live_server):
    page.goto("/")
    page.wait_for_function("window.htmx !== undefined")
    page.get_by_role("main").get_by_role("link", name="Sign the appeal").click()
    expect(page).to_have_url(live_server.url + "/appeal")
    form = page.locator("#sign-form")
    expect(form.get_by_role("button", name="Sign the appeal")).to_be_visible()
    # Anything a full reload would lose.
    page.evaluate("window.stillHere = true")

    fill_sign_form(page)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_label("Last name", exact=True).press("Enter")
    assert answer.value.request.headers.get("hx-request") == "true"
    assert answer.value.status == 200

    panel = page.locator("#sign-form")
    heading = panel.get_by_role("heading", name="Thank you. Now check your e-mail.")
    expect(heading).to_be_visible()
    expect(heading).to_be_focused()
    expect(page).to_have_url(live_server.url + "/appeal")
    assert page.evaluate("window.stillHere") is True, "the page was reloaded"
    expect(panel).to_contain_text("We have placed you in London")
    # The form and its heading gave way to the panel.
    expect(page.get_by_label("First name")).to_have_count(0)
    expect(page.get_by_role("heading", name="Add your name")).to_have_count(0)
    row = supporter(live_server, "ada@example.org")
    assert row.region == "london" and row.confirmed_at is None
    assert_share_links(panel, row.referral_code)
    shot(page, "appeal-thanks-htmx")

    page.goto(mail_link(live_server, "ada@example.org", "/appeal/confirm/"))
    expect(page.locator("h1")).to_have_text("Confirm your signature")
    expect(page.get_by_role("button")).to_have_text(["Confirm my signature"])
    # Opening the link (as a mail scanner would) confirmed nothing.
    assert supporter(live_server, "ada@example.org").confirmed_at is None

    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.locator("h1")).to_have_text("Your signature is confirmed")
    expect(page.get_by_role("status")).to_contain_text("Thank you, Ada.")
    expect(page.get_by_role("button", name="Confirm my signature")).to_have_count(0)
    assert supporter(live_server, "ada@example.org").confirmed_at is not None
    assert_share_links(page.get_by_role("status"), row.referral_code)


def test_sign_with_htmx_shows_errors_in_place_then_succeeds(page, live_server):
    page.goto("/appeal")
    page.wait_for_function("window.htmx !== undefined")
    page.evaluate("window.stillHere = true")
    fill_sign_form(page, **{"Last name": "", "Your e-mail address": "ada@", "UK postcode": "XYZ"})
    page.get_by_label("Why I signed (optional)").fill("Because the party is ours.")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign the appeal").click()
    assert answer.value.status == 422

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    # In the order of the form, each naming its field.
    expect(summary.get_by_role("link")).to_have_text(
        [
            re.compile("^Last name: "),
            re.compile("^Your e-mail address: "),
            re.compile("^UK postcode: "),
        ]
    )
    assert page.evaluate("window.stillHere") is True
    expected = {
        "Last name": "Enter your last name.",
        "Your e-mail address": "e-mail address",
        "UK postcode": "Enter a UK postcode such as SW1A 1AA.",
    }
    for label, message in expected.items():
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(re.compile(re.escape(message)))
    # What was typed is still there, right or wrong.
    expect(page.get_by_label("First name", exact=True)).to_have_value("Ada")
    expect(page.get_by_label("Your e-mail address")).to_have_value("ada@")
    expect(page.get_by_label("UK postcode")).to_have_value("XYZ")
    expect(page.get_by_label("No", exact=True)).to_be_checked()
    expect(page.get_by_label("Why I signed (optional)")).to_have_value("Because the party is ours.")
    shot(page, "appeal-errors-htmx")

    # A link in the summary takes the keyboard to its field.
    summary.get_by_role("link", name=re.compile("^Last name")).click()
    expect(page.get_by_label("Last name", exact=True)).to_be_focused()
    page.keyboard.type("Lovelace")
    page.get_by_label("Your e-mail address").fill("ada@example.org")
    page.get_by_label("UK postcode").fill("EH1 1YZ")
    page.get_by_role("button", name="Sign the appeal").click()
    panel = page.locator("#sign-form")
    expect(panel.get_by_role("heading", name="Thank you. Now check your e-mail.")).to_be_visible()
    expect(panel).to_contain_text("We have placed you in Scotland")
    assert supporter(live_server, "ada@example.org").last_name == "Lovelace"


def test_leaving_the_postcode_field_shows_its_region(page):
    page.goto("/appeal")
    page.wait_for_function("window.htmx !== undefined")
    postcode = page.get_by_label("UK postcode")
    region = page.locator("#postcode-region")
    postcode.fill("m1 1ae")
    postcode.press("Tab")
    expect(region).to_have_text("M1 1AE: North West")
    expect(postcode).to_have_accessible_description(re.compile("North West"))
    postcode.fill("not a postcode")
    postcode.press("Tab")
    expect(region).to_have_text("That does not look like a UK postcode.")
    # The live region stays in place (only its text changes), so it is announced.
    assert region.evaluate("e => e.isConnected && e.getAttribute('aria-live')") == "polite"


def test_living_outside_the_uk_asks_for_the_country(page, live_server):
    page.goto("/appeal")
    country = page.get_by_label("Country", exact=True)
    expect(country).to_be_hidden()
    fill_sign_form(page, **{"UK postcode": ""})
    page.get_by_label("I live outside the UK").check()
    expect(country).to_be_visible()
    country.fill("Ireland")
    page.get_by_role("button", name="Sign the appeal").click()
    expect(page.locator("#sign-form")).to_contain_text("We have placed you in Ireland")
    row = supporter(live_server, "ada@example.org")
    assert row.country == "Ireland" and row.postcode is None


# --- signing with JavaScript off -------------------------------------------------------


def test_sign_without_javascript_posts_and_redirects(page_without_js, live_server):
    page = page_without_js
    # Through a friend's share link: the signature is attributed to the friend's code.
    friend = someone_who_signed(live_server).referral_code
    page.goto(f"/appeal?ref={friend}")
    fill_sign_form(page, **{"Your e-mail address": "not an address", "UK postcode": "ZZ"})
    page.get_by_role("button", name="Sign the appeal").click()
    expect(page).to_have_url(live_server.url + "/appeal")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_label("Your e-mail address")).to_have_accessible_description(
        re.compile("e-mail address")
    )
    expect(page.get_by_label("UK postcode")).to_have_value("ZZ")
    assert supporter(live_server, "not an address") is None

    page.get_by_label("Your e-mail address").fill("grace@example.org")
    page.get_by_label("UK postcode").fill("CF10 1AA")
    page.get_by_role("button", name="Sign the appeal").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/appeal/thanks\?t="))
    expect(page.locator("h1")).to_have_text("Thank you for signing")
    panel = page.get_by_role("status")
    expect(panel).to_contain_text("Now check your e-mail")
    expect(panel).to_contain_text("We have placed you in Wales")
    row = supporter(live_server, "grace@example.org")
    assert row.referred_by == friend and row.region == "wales"
    assert_share_links(panel, row.referral_code)


# --- the bulletin ----------------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_bulletin_sign_up_on_the_home_page(new_page, live_server, javascript):
    page = new_page(java_script_enabled=javascript)
    page.goto("/")
    bulletin = page.locator("#bulletin")
    bulletin.get_by_label("Your e-mail address").fill("news@example.org")
    bulletin.get_by_role("button", name="Subscribe").click()
    done = page.locator("#bulletin").get_by_role("status")
    expect(done).to_contain_text("Thank you. Now check your e-mail.")
    expect(page).to_have_url(live_server.url + ("/" if javascript else "/bulletin/thanks"))
    assert supporter(live_server, "news@example.org").confirmed_at is None

    page.goto(mail_link(live_server, "news@example.org", "/bulletin/confirm/"))
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.locator("h1")).to_have_text("You are subscribed")
    row = supporter(live_server, "news@example.org")
    assert row.subscribed and row.confirmed_at is not None


def test_bulletin_error_is_shown_in_place(page):
    page.goto("/")
    page.wait_for_function("window.htmx !== undefined")
    bulletin = page.locator("#bulletin")
    bulletin.get_by_label("Your e-mail address").fill("nobody@")
    bulletin.get_by_role("button", name="Subscribe").click()
    expect(bulletin.get_by_role("alert")).to_contain_text("There is a problem")
    expect(bulletin.get_by_label("Your e-mail address")).to_have_value("nobody@")
    expect(page).to_have_url(re.compile(r"/$"))


# --- my data ---------------------------------------------------------------------------


def test_my_data_unsubscribe_then_erase(page, live_server):
    page.goto("/appeal")
    fill_sign_form(page, email="lin@example.org")
    page.get_by_label("Send me the bulletin by e-mail").check()
    page.get_by_role("button", name="Sign the appeal").click()
    expect(page.get_by_role("heading", name="Thank you. Now check your e-mail.")).to_be_visible()

    page.goto(mail_link(live_server, "lin@example.org", "/my-data/"))
    my_data = page.url
    expect(page.locator("h1")).to_have_text("The data we hold about you")
    expect(page.locator(".data-list")).to_contain_text("Ada Lovelace")
    expect(page.locator(".data-list")).to_contain_text("SW1A 1AA (London)")
    shot(page, "my-data")

    page.get_by_role("button", name="Unsubscribe from the bulletin").click()
    expect(page.get_by_role("status")).to_contain_text("You are unsubscribed from the bulletin.")
    expect(page.get_by_role("button", name="Send me the bulletin")).to_be_visible()
    assert supporter(live_server, "lin@example.org").unsubscribed_at is not None

    page.get_by_role("link", name="Erase my data").click()
    expect(page.locator("h1")).to_have_text("Erase your data?")
    # Going back erases nothing.
    page.get_by_role("link", name="No, go back").click()
    expect(page.locator("h1")).to_have_text("The data we hold about you")
    page.get_by_role("link", name="Erase my data").click()
    page.get_by_role("button", name="Yes, erase my data").click()
    expect(page.locator("h1")).to_have_text("Your data has been erased")
    assert supporter(live_server, "lin@example.org") is None

    response = page.goto(my_data)
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Nothing is held for this link")


@pytest.mark.parametrize(
    "role, name", [("link", "Erase my data"), ("button", "Send me the bulletin")]
)
def test_my_data_erased_in_another_tab_says_so_on_the_next_click(page, live_server, role, name):
    someone_who_signed(live_server, "kim@example.org")
    page.goto(mail_link(live_server, "kim@example.org", "/my-data/"))
    page.wait_for_function("window.htmx !== undefined")
    with live_server.app.app_context():
        from campaign.appeal.services import erase_supporter

        erase_supporter(db.session.scalar(sa.select(Supporter)))
        db.session.commit()
    # Boosted, and answered with an error status htmx does not swap: not a dead click.
    page.get_by_role(role, name=name).click()
    expect(page.locator("h1")).to_have_text("Nothing is held for this link")


# --- small screens ---------------------------------------------------------------------


def test_sign_form_fits_a_320px_screen_and_every_field_is_reachable(new_page):
    page = new_page(viewport={"width": 320, "height": 640})
    page.goto("/appeal")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"/appeal is {width}px wide at 320px"
    page.get_by_label("I live outside the UK").check()  # shows the country field too
    fields = page.locator("#sign-form").locator("input:not([type=hidden]), textarea, button")
    for field in fields.all():
        if field.evaluate("e => e.closest('.honeypot') !== null"):
            continue
        field.scroll_into_view_if_needed()
        box = field.bounding_box()
        name = field.get_attribute("name")
        assert box and box["width"] > 0 and box["x"] >= 0, name
        assert box["x"] + box["width"] <= 320, f"{name} sticks out: {box}"
    # A button under the standfirst jumps past the appeal's text to the form.
    page.get_by_role("link", name="Add your name").click()
    expect(page.get_by_role("heading", name="Add your name")).to_be_in_viewport()
    # The keyboard reaches the last field and the button in order.
    page.get_by_label("Send me the bulletin by e-mail").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="privacy notice")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign the appeal")).to_be_focused()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_appeal_pages_fit_phone_and_desktop(new_page, live_server, size):
    page = new_page(viewport=size)

    def fits(name: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name} is {width}px wide at {size['width']}px"
        shot(page, name)

    page.goto("/appeal")
    fits("appeal")
    fill_sign_form(page, email="sam@example.org")
    page.get_by_role("button", name="Sign the appeal").click()
    expect(page.get_by_role("heading", name="Thank you. Now check your e-mail.")).to_be_visible()
    fits("appeal-thanks")
    live_server.deliver_mail()
    [message] = live_server.mailbox.to("sam@example.org")
    links = MailBox.links(message)
    page.goto(next(link for link in links if "/appeal/confirm/" in link))
    fits("confirm")
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.locator("h1")).to_have_text("Your signature is confirmed")
    fits("confirmed")
    page.goto(next(link for link in links if "/my-data/" in link))
    fits("my-data")
