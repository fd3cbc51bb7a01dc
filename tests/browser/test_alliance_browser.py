"""Affiliated groups and paper signatures in a real Chromium: the list searched in place
with the address kept, the same without JavaScript, revoking in place, a paper batch
moving the public numbers."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from campaign.extensions import db
from campaign.groups.affiliated import add_affiliated_group
from campaign.groups.models import Group
from campaign.models import utcnow
from tests.support.browser import LiveServer

LIST = "/organisers/groups/affiliated"


@pytest.fixture
def live_server(room_live_server: LiveServer) -> LiveServer:
    """This module's pages are the organisers' room (tests/browser/conftest.py)."""
    return room_live_server


def affiliated(app, name: str, kind: str = "local-left-group", region: str = "yorkshire") -> int:
    with app.app_context():
        group = add_affiliated_group(
            {
                "name": name,
                "kind": kind,
                "region": region,
                "contact_name": "Rosa",
                "contact_email": f"{name.split()[0].lower()}@example.org",
                "representatives": [{"name": "Ada Rep", "email": "ada@example.org"}],
            },
            by="setup",
        )
        db.session.commit()
        return group.id


def test_affiliated_list_searches_in_place_and_keeps_the_address(as_admin, live_server):
    affiliated(live_server.app, "Leeds Labour Left")
    affiliated(live_server.app, "Bristol Left Forum", region="south-west")
    page = as_admin()
    page.goto(LIST)
    page.wait_for_function("window.htmx !== undefined")
    page.evaluate("window.notReloaded = true")
    rows = page.locator("#affiliated-results tbody tr")
    expect(rows).to_have_count(2)
    with page.expect_response(lambda r: "q=leeds" in r.url):
        page.get_by_label("Search").fill("leeds")  # asks as you type
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Leeds Labour Left")
    expect(page).to_have_url(re.compile(r"q=leeds"))
    assert page.evaluate("window.notReloaded === true"), "the list was updated in place"
    page.get_by_label("Region").select_option(label="South West")
    expect(rows).to_have_count(0)
    assert parse_qs(urlsplit(page.url).query)["region"] == ["south-west"]
    page.reload()  # the address holds the filters
    expect(page.get_by_label("Region")).to_have_value("south-west")
    expect(page.get_by_text("No group matches these filters.")).to_be_visible()


def test_affiliated_list_and_revoke_work_without_javascript(as_admin, live_server):
    group_id = affiliated(live_server.app, "Leeds Labour Left")
    affiliated(live_server.app, "Bristol Left Forum", region="south-west")
    page = as_admin(java_script_enabled=False)
    page.goto(LIST)
    page.get_by_label("Search").fill("bristol")
    page.get_by_role("button", name="Show groups").click()
    expect(page).to_have_url(re.compile(r"q=bristol"))
    expect(page.locator("#affiliated-results tbody tr")).to_have_count(1)
    page.goto(f"{LIST}/{group_id}")
    page.get_by_text("Revoke the affiliation…").click()
    page.get_by_label("Reason (e-mailed to the group's contact)").fill("Dissolved at its AGM")
    page.get_by_role("button", name="Revoke").click()
    expect(page).to_have_url(live_server.url + f"{LIST}/{group_id}")
    expect(page.get_by_role("status").filter(has_text="is revoked")).to_be_visible()
    with live_server.app.app_context():
        assert db.session.get(Group, group_id).status == "revoked"


def test_revoke_in_place_then_restore(as_admin, live_server):
    group_id = affiliated(live_server.app, "Leeds Labour Left")
    page = as_admin()
    page.goto(f"{LIST}/{group_id}")
    page.wait_for_function("window.htmx !== undefined")
    page.evaluate("window.notReloaded = true")
    page.get_by_text("Revoke the affiliation…").click()
    page.get_by_role("button", name="Revoke").click()  # no reason yet
    expect(page.get_by_text("Give a reason for revoking the affiliation.").first).to_be_visible()
    page.get_by_label("Reason (e-mailed to the group's contact)").fill("Dissolved")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status").filter(has_text="is revoked")).to_be_visible()
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_role("status").filter(has_text="is restored")).to_be_visible()
    assert page.evaluate("window.notReloaded === true"), "the panel was swapped in place"
    history = page.locator(".history")
    expect(history).to_contain_text("Revoked: Dissolved")
    expect(history).to_contain_text("Approved: Affiliation restored")


def test_a_paper_batch_moves_the_public_numbers(as_admin, live_server):
    affiliated(live_server.app, "Leeds Labour Left")
    page = as_admin()
    page.goto("/organisers/paper/new")
    page.get_by_label("Date collected").fill((utcnow().date() - dt.timedelta(days=1)).isoformat())
    page.get_by_label("Where").fill("Leeds Trades Club")
    page.get_by_label("Group that collected them").select_option(label="Leeds Labour Left")
    page.get_by_label("Number of signatures").fill("0")
    page.get_by_role("button", name="Record the batch").click()
    expect(page.get_by_text("A batch holds from 1 to 20,000 signatures.").first).to_be_visible()
    page.get_by_label("Number of signatures").fill("37")
    page.get_by_role("button", name="Record the batch").click()
    expect(page.locator("h1")).to_contain_text("Paper batch")
    expect(page.get_by_text("Recorded 37 paper signatures from Leeds Trades Club.")).to_be_visible()
    page.goto("/numbers")
    expect(page.locator(".counter__split")).to_have_text("(0 online, 37 on paper)")
    expect(page.get_by_role("row", name=re.compile("Signed on paper"))).to_contain_text("37")
