"""Events in a real Chromium: replying with and without htmx, the e-mailed button, the list."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from campaign.events.models import GOING, Rsvp
from campaign.extensions import db
from tests.support.browser import PHONE, shot
from tests.support.factories import add_event
from tests.support.mail import MailBox

pytestmark = pytest.mark.browser


def an_event(live_server, **values) -> str:
    """The "Networking meeting" (its agenda with a bold line), committed; its slug."""
    fields = {
        "slug": "networking-meeting",
        "title": "Networking meeting",
        "agenda": "1. Welcome\n2. **The constitution**",
        **values,
    }
    with live_server.app.app_context():
        slug = add_event(**fields).slug
        db.session.commit()
    return slug


def statuses(live_server) -> list[str]:
    with live_server.app.app_context():
        return list(db.session.scalars(sa.select(Rsvp.status).order_by(Rsvp.id)))


def confirm_by_mail(page, live_server, address: str) -> None:
    live_server.deliver_mail()
    [message] = live_server.mailbox.to(address)
    link = next(u for u in MailBox.links(message) if "/events/confirm/" in u)
    page.goto(link)
    page.get_by_role("button", name="Confirm my place").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your reply")


def reply(page, name: str, address: str) -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Name me as present").check()
    page.get_by_role("button", name="Reply").click()


def test_reply_with_htmx_in_place_then_confirm(page, live_server):
    slug = an_event(live_server)
    page.goto("/events")
    page.get_by_role("link", name="Networking meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Networking meeting")
    expect(page.locator("strong", has_text="The constitution")).to_be_visible()
    url = page.url
    shot(page, "event")
    reply(page, "Ada Lovelace", "ada@example.org")
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert page.url == url  # swapped in place: no navigation
    assert page.locator("header.site-header").count() == 1
    confirm_by_mail(page, live_server, "ada@example.org")
    expect(page.get_by_text("You're going.")).to_be_visible()
    assert statuses(live_server) == [GOING]
    page.goto(f"/events/{slug}")
    expect(page.get_by_text("1 going")).to_be_visible()


def test_reply_without_javascript_posts_and_redirects(page_without_js, live_server):
    page = page_without_js
    slug = an_event(live_server)
    page.goto(f"/events/{slug}")
    page.get_by_role("button", name="Reply").click()  # empty: errors in the form
    expect(page.get_by_text("Enter your name.").first).to_be_visible()
    reply(page, "Grace Hopper", "grace@example.org")
    expect(page).to_have_url(f"{live_server.url}/events/{slug}/rsvp-sent")
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    confirm_by_mail(page, live_server, "grace@example.org")
    assert statuses(live_server) == [GOING]


def test_the_list_filters_in_place_and_fits_a_phone(new_page, live_server):
    an_event(live_server)
    an_event(
        live_server,
        slug="online-call",
        title="Online call",
        kind="online",
        venue=None,
        online_url="https://meet.example.org/x",
    )
    page = new_page(viewport=PHONE)
    page.goto("/events")
    page.get_by_label("Kind").select_option("online")
    expect(page.get_by_role("link", name="Networking meeting")).to_have_count(0)
    expect(page.get_by_role("link", name="Online call")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/events?kind=online&region=")
    shot(page, "events")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
