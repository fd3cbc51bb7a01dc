"""The groups pages in a real Chromium: affiliating, the e-mail links, the directory's filters."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from campaign.extensions import db
from campaign.groups.models import APPROVED, CONFIRMED, SUBMITTED, WITHDRAWN, Group
from campaign.groups.services import (
    approve_group,
    confirm_url,
    register_group,
    union_fee_pounds,
)
from tests.support.browser import DESKTOP, PHONE, shot
from tests.support.data import service_data
from tests.support.factories import add_approved_group
from tests.support.mail import MailBox

pytestmark = pytest.mark.browser

ORGANISER = "organiser@example.org"

# What a union secretary types into the affiliation form, by the label of each field.
UNION = {
    "Name of the group": "Bakers, Food and Allied Workers Union",
    "Town or city": "Welwyn Garden City",
    "Website": "https://bfawu.example.org",
    "Approximate number of members": "18000",
    "Contact name": "Sarah Secretary",
    "Contact e-mail": "sarah.secretary@bfawu.example.org",
    "Contact phone": "01707 260150",
    "How the affiliation was decided": "At our national executive on 3 May, unanimously",
    "A short statement": "Bread, roses and a democratic party.",
}
REPRESENTATIVES = [
    ("Ian Rep", "ian.rep@bfawu.example.org"),
    ("Jo Rep", "jo.rep@bfawu.example.org"),
]


def fill_affiliation(page: Any, answers: dict[str, str] = UNION, representatives=REPRESENTATIVES):
    """Fill the affiliation form by its labels, as a person would."""
    for label, value in answers.items():
        page.get_by_label(label, exact=True).fill(value)
    for number, (name, email) in enumerate(representatives, start=1):
        person = page.get_by_role("group", name=f"Representative {number}")
        person.get_by_label("Name", exact=True).fill(name)
        person.get_by_label("E-mail", exact=True).fill(email)


def choose_union(page: Any) -> None:
    page.get_by_label("Kind of group").select_option(label="Trade union body")
    page.get_by_label("Region", exact=True).select_option(label="National (UK-wide)")


def htmx_ready(page: Any) -> None:
    """Wait for htmx, and mark the document so that a full reload would show."""
    page.wait_for_function("window.htmx !== undefined")
    page.evaluate("window.sameDocument = true")


def same_document(page: Any) -> bool:
    return page.evaluate("window.sameDocument === true")


def group_named(app, name: str) -> Group | None:
    with app.app_context():
        group = db.session.scalars(sa.select(Group).where(Group.name == name)).one_or_none()
        _ = group and group.representatives  # loaded before the session closes
        db.session.expunge_all()
        return group


def approved_group(app, name: str, **overrides: Any) -> int:
    """A group registered, confirmed and approved through the services."""
    with app.app_context():
        group_id = add_approved_group(name, **overrides).id
        db.session.commit()
        return group_id


def card_names(page: Any) -> list[str]:
    return page.locator(".group-card__name").all_inner_texts()


# --- affiliating ------------------------------------------------------------------------


def test_a_union_affiliates_confirms_by_email_and_is_listed_once_approved(
    page, live_server, mailbox
):
    app = live_server.app
    with app.app_context():
        fee = f"£{union_fee_pounds():,} a year"
    page.goto("/groups/affiliate")
    htmx_ready(page)
    pay = page.get_by_text(f"your union will be asked to pay the fee of {fee}")
    expect(pay).to_have_count(0)

    fill_affiliation(page)
    choose_union(page)
    expect(pay).to_be_visible()

    page.get_by_role("button", name="Send our affiliation").click()
    thanks = page.get_by_role("heading", name="Thank you: now check your e-mail")
    expect(thanks).to_be_visible()
    expect(thanks).to_be_in_viewport()
    expect(page.get_by_role("status").filter(has=thanks)).to_be_focused()
    expect(page.get_by_role("button", name="Send our affiliation")).to_have_count(0)
    assert same_document(page), "htmx swapped the thanks in; the page did not reload"
    expect(page).to_have_url(live_server.url + "/groups/affiliate")
    shot(page, "thanks-panel")

    live_server.deliver_mail()
    [mail] = mailbox.to(UNION["Contact e-mail"])
    assert fee in MailBox.text(mail)
    [link] = [u for u in MailBox.links(mail) if "/groups/confirm/" in u]
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your group's affiliation")
    confirm = page.get_by_role("button", name="Confirm our affiliation")
    expect(confirm).to_be_visible()
    group = group_named(app, UNION["Name of the group"])
    assert group.status == SUBMITTED, "opening the link changed nothing"
    assert [r.name for r in group.representatives] == [name for name, _ in REPRESENTATIVES]
    assert (group.kind, group.region, group.fee_pence) == ("trade-union", "national", 50000)

    confirm.click()
    expect(page.get_by_text("your affiliation is pending review")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your affiliation is confirmed")
    expect(confirm).to_have_count(0)
    assert group_named(app, UNION["Name of the group"]).status == CONFIRMED
    shot(page, "confirmed")

    with app.app_context():
        approve_group(db.session.get(Group, group.id), by=ORGANISER)
        db.session.commit()
    page.goto("/groups")
    card = page.locator(".group-card").filter(has_text=UNION["Name of the group"])
    expect(card).to_contain_text("Trade union body")
    expect(card).to_contain_text("Welwyn Garden City, UK-wide")
    expect(card.get_by_role("link", name="bfawu.example.org")).to_be_visible()
    source = page.content()
    private = [UNION["Contact e-mail"], UNION["Contact phone"], UNION["Contact name"]]
    private += [email for _, email in REPRESENTATIVES]
    assert [p for p in private if p in source] == []


def test_errors_with_javascript_show_beside_the_fields_and_keep_what_was_typed(page, live_server):
    page.goto("/groups/affiliate")
    htmx_ready(page)
    fill_affiliation(page, {**UNION, "Website": "javascript:alert(1)", "Contact e-mail": ""})
    choose_union(page)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Send our affiliation").click()
    assert answer.value.status == 422

    summary = page.get_by_role("alert").filter(has_text="Please check these answers")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # announced, and scrolled to from the button
    expect(summary.get_by_role("link")).to_have_count(2)
    shot(page, "errors")
    website = page.get_by_label("Website", exact=True)
    email = page.get_by_label("Contact e-mail", exact=True)
    expect(website).to_have_attribute("aria-invalid", "true")
    expect(website).to_have_accessible_description(re.compile("http:// or https://"))
    expect(email).to_have_accessible_description(re.compile("Enter the contact's e-mail"))
    # The link in the summary takes you to the field.
    summary.get_by_role("link", name=re.compile("^Contact e-mail")).click()
    expect(email).to_be_focused()

    expect(website).to_have_value("javascript:alert(1)")
    expect(page.get_by_label("Name of the group", exact=True)).to_have_value(
        UNION["Name of the group"]
    )
    expect(page.get_by_label("Kind of group")).to_have_value("trade-union")
    expect(page.get_by_role("group", name="Representative 2").get_by_label("Name")).to_have_value(
        REPRESENTATIVES[1][0]
    )
    expect(page.get_by_text("your union will be asked to pay")).to_be_visible()
    assert same_document(page)
    assert group_named(live_server.app, UNION["Name of the group"]) is None


def test_without_javascript_the_form_posts_and_redirects(page_without_js, live_server):
    page = page_without_js
    page.goto("/groups/affiliate")
    fill_affiliation(page, {**UNION, "Contact e-mail": "not an address"})
    choose_union(page)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Send our affiliation").click()
    assert answer.value.status == 422
    expect(page.get_by_role("heading", level=1)).to_have_text("Affiliate your group")
    expect(page).to_have_title(re.compile("^Affiliate your group"))
    expect(page.get_by_role("alert")).to_contain_text("Contact e-mail")
    email = page.get_by_label("Contact e-mail", exact=True)
    expect(email).to_have_value("not an address")
    expect(page.get_by_label("Town or city")).to_have_value(UNION["Town or city"])

    email.fill(UNION["Contact e-mail"])
    page.get_by_role("button", name="Send our affiliation").click()
    expect(page).to_have_url(live_server.url + "/groups/affiliate/thanks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert group_named(live_server.app, UNION["Name of the group"]).status == SUBMITTED


def test_a_withdraw_link_from_an_email_takes_the_group_out_of_the_directory(
    page, live_server, mailbox
):
    app = live_server.app
    approved_group(app, "Hackney Momentum", kind="momentum-branch", region="london")
    approved_group(app, "Leeds Labour Left", region="yorkshire")
    live_server.deliver_mail()
    approval = [m for m in mailbox.to("hackneymomentum@example.org") if "approved" in m["Subject"]]
    [link] = [u for u in MailBox.links(approval[0]) if "/groups/withdraw/" in u]

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw your group's affiliation")
    expect(page.get_by_text("leaves the public directory")).to_be_visible()
    assert group_named(app, "Hackney Momentum").status == APPROVED
    shot(page, "withdraw")
    page.get_by_role("button", name="Withdraw our affiliation").click()
    expect(page.get_by_text("Hackney Momentum has withdrawn its affiliation")).to_be_visible()
    assert group_named(app, "Hackney Momentum").status == WITHDRAWN

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Affiliated groups")
    assert card_names(page) == ["Leeds Labour Left"]
    expect(page.locator(".group-counts")).to_contain_text("1 group affiliated")


# --- the directory ----------------------------------------------------------------------


@pytest.fixture
def directory(live_server) -> list[str]:
    """Approved groups of several kinds and regions, in the order the directory lists them."""
    app = live_server.app
    approved_group(app, "Leeds Labour Left", region="yorkshire", town="Leeds")
    approved_group(app, "Leeds Momentum", kind="momentum-branch", region="yorkshire", town="Leeds")
    approved_group(app, "Bristol Momentum", kind="momentum-branch", region="south-west", town=None)
    approved_group(app, "Camden CLP", kind="clp", region="london", town="Camden", website=None)
    approved_group(
        app,
        "Unite",
        kind="trade-union",
        region="national",
        town=None,
        website="https://unite.example",
    )
    return ["Bristol Momentum", "Camden CLP", "Leeds Labour Left", "Leeds Momentum", "Unite"]


def test_directory_filters_update_the_list_and_the_address_with_javascript(
    page, live_server, directory
):
    page.goto("/groups")
    htmx_ready(page)
    assert card_names(page) == directory
    expect(page.locator(".group-counts")).to_contain_text("2 Momentum branches")

    page.get_by_label("Kind").select_option(label="Momentum branch")
    expect(page.locator(".group-card__name")).to_have_text(["Bristol Momentum", "Leeds Momentum"])
    expect(page).to_have_url(re.compile(r"/groups\?.*kind=momentum-branch"))
    page.get_by_label("Search by name").press_sequentially("leeds")
    expect(page.locator(".group-card__name")).to_have_text(["Leeds Momentum"])
    expect(page.get_by_role("status")).to_contain_text("1 group found")
    expect(page).to_have_url(re.compile(r"kind=momentum-branch.*q=leeds"))
    searched = page.url
    assert same_document(page), "the list changed without a full reload"
    expect(page.get_by_label("Search by name")).to_be_focused()  # typing goes on undisturbed
    # Leaving the box asks for nothing more: Back must not stop at the same list twice.
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    page.keyboard.press("Tab")
    page.wait_for_timeout(300)  # a change event would have sent its request at once
    assert asked == []

    page.go_back()
    expect(page).to_have_url(re.compile(r"kind=momentum-branch(&region=)?(&q=)?$"))
    expect(page.locator(".group-card__name")).to_have_text(["Bristol Momentum", "Leeds Momentum"])
    expect(page.get_by_label("Kind")).to_have_value("momentum-branch")
    expect(page.get_by_label("Search by name")).to_have_value("")
    page.go_back()
    expect(page).to_have_url(live_server.url + "/groups")
    expect(page.locator(".group-card__name")).to_have_text(directory)
    expect(page.get_by_label("Kind")).to_have_value("")

    page.goto(searched)
    expect(page.locator(".group-card__name")).to_have_text(["Leeds Momentum"])
    expect(page.get_by_label("Kind")).to_have_value("momentum-branch")
    expect(page.get_by_label("Search by name")).to_have_value("leeds")
    page.reload()
    expect(page.locator(".group-card__name")).to_have_text(["Leeds Momentum"])


def test_directory_filters_without_javascript(page_without_js, live_server, directory):
    page = page_without_js
    page.goto("/groups")
    page.get_by_label("Kind").select_option(label="Momentum branch")
    page.get_by_label("Search by name").fill("leeds")
    page.get_by_role("button", name="Show groups").click()
    expect(page).to_have_url(re.compile(r"kind=momentum-branch.*q=leeds"))
    assert card_names(page) == ["Leeds Momentum"]
    page.get_by_label("Kind").select_option(label="All kinds")
    page.get_by_label("Region").select_option(label="Yorkshire and the Humber")
    page.get_by_label("Search by name").fill("")
    page.get_by_role("button", name="Show groups").click()
    expect(page).to_have_url(re.compile(r"region=yorkshire"))
    assert card_names(page) == ["Leeds Labour Left", "Leeds Momentum"]


# --- screens ----------------------------------------------------------------------------

NARROW = {"width": 320, "height": 640}


@pytest.mark.parametrize("size", [NARROW, PHONE, DESKTOP], ids=["320", "phone", "desktop"])
def test_group_pages_fit_the_screen(new_page, live_server, directory, size):
    app = live_server.app
    with app.app_context():
        group = register_group(service_data(name="Waiting Group", contact_email="w@example.org"))
        db.session.commit()
        confirm = confirm_url(group)
    page = new_page(viewport=size)
    for name, path in [
        ("directory", "/groups"),
        ("affiliate", "/groups/affiliate"),
        ("thanks", "/groups/affiliate/thanks"),
        ("confirm", confirm),
    ]:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(
            """w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w + 0.5)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))
                .slice(0, 5)""",
            size["width"],
        )
        assert width <= size["width"], f"{path} is {width}px wide; too wide: {wide}"
        shot(page, name)
