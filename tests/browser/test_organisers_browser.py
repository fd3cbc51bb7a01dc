"""The organisers' room in a real Chromium: log-in, dashboard, the affiliations queue,
supporters, export and the audit log, as an organiser sees them.

The module shares one app and live server with two accounts logged in once, emptied of
everything else before each test: the organisers' room fixtures of tests/browser/conftest.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.groups.models import Group
from campaign.groups.services import approve_group, confirm_group_contact, register_group
from campaign.models import utcnow
from campaign.organisers.models import AuditRecord
from campaign.wording import counted
from tests.support.browser import DESKTOP, PHONE, LiveServer, log_in, shot
from tests.support.factories import ADMIN_EMAIL, ORGANISER_EMAIL

# SPEC section 8: the columns a mailing tool imports, in this order.
SPEC_COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "postcode",
    "region",
    "country",
    "labour_member",
    "union",
    "bulletin_consent",
    "signed_at",
    "confirmed_at",
    "referral_source",
]
_numbers = itertools.count(1)


@pytest.fixture
def live_server(room_live_server: LiveServer) -> LiveServer:
    """This module's pages are the organisers' room (tests/browser/conftest.py)."""
    return room_live_server


# --- test data, made through the real services and commands ----------------------------


def import_supporters(app: Flask, tmp_path: Path, rows: list[dict[str, str]]) -> None:
    """Add supporters with `flask supporters import` (rows in the export's columns)."""
    file = tmp_path / "supporters.csv"
    with file.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=SPEC_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    result = app.test_cli_runner().invoke(args=["supporters", "import", str(file), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"Created {counted(len(rows), 'supporter')} " in result.output, result.output


def person(
    first: str,
    last: str,
    postcode: str = "SW1A 1AA",
    confirmed: dt.datetime | None = None,
    consent: bool = True,
) -> dict[str, str]:
    """One import row: a signature, confirmed at `confirmed` (None: not confirmed)."""
    signed = (confirmed or utcnow()) - dt.timedelta(minutes=5)
    return {
        "email": f"{first}.{last}@example.org".lower(),
        "first_name": first,
        "last_name": last,
        "postcode": postcode,
        "labour_member": "yes",
        "bulletin_consent": "yes" if consent else "no",
        "signed_at": signed.isoformat(" ", "seconds"),
        "confirmed_at": confirmed.isoformat(" ", "seconds") if confirmed else "",
    }


def affiliate(
    app: Flask, name: str, kind: str = "local-left-group", region: str = "yorkshire", **extra: Any
) -> int:
    """A group that registered and confirmed its contact address: pending review."""
    slug = f"group{next(_numbers)}"
    with app.app_context():
        group = register_group(
            {
                "name": name,
                "kind": kind,
                "region": region,
                "town": "Leeds",
                "contact_name": "Rosa Contact",
                "contact_email": f"contact@{slug}.example.org",
                "members": 120,
                "decided_how": "At our AGM, unanimously",
                "representatives": [{"name": "Ada Rep", "email": f"rep@{slug}.example.org"}],
                **extra,
            }
        )
        confirm_group_contact(group)
        db.session.commit()
        return group.id


def audit_actions(app: Flask) -> list[tuple[str, str, str | None, dict]]:
    """(action, actor, target, details) of every audit record, oldest first."""
    with app.app_context():
        records = db.session.scalars(sa.select(AuditRecord).order_by(AuditRecord.id))
        return [(r.action, r.actor, r.target, r.details) for r in records]


def no_horizontal_overflow(page: Any) -> None:
    """Assert the page is no wider than the window (a table may scroll inside its wrapper)."""
    width = page.viewport_size["width"]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
            .filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > width + 0.5)
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))
            .slice(0, 5)""",
        width,
    )
    assert scroll <= width, f"{page.url} is {scroll}px wide at {width}px; too wide: {wide}"


# --- 1. log-in, dashboard, log-out ------------------------------------------------------


def test_log_in_see_the_dashboard_and_log_out(page, live_server, tmp_path):
    now = utcnow()
    import_supporters(
        live_server.app,
        tmp_path,
        [
            person("Ada", "Lovelace", "LS1 4AP", now - dt.timedelta(days=1)),
            person("Keir", "Hardie", "SW1A 1AA", now - dt.timedelta(days=3)),
            person("Ellen", "Wilkinson", "SW1A 2AA", now),
            person("Nye", "Bevan", "SW1A 1AA", None),
        ],
    )
    affiliate(live_server.app, "Leeds Labour Left")
    affiliate(live_server.app, "Momentum Hackney", kind="momentum-branch", region="london")

    response = page.goto("/organisers/")
    expect(page).to_have_url(re.compile(r"/organisers/login\?next="))
    assert response.status == 200
    expect(page.get_by_text("Please log in to see that page.")).to_be_visible()
    page.wait_for_function("window.htmx !== undefined")

    log_in(page, ADMIN_EMAIL, "not the right password")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("That e-mail address and password do not match an account.")
    expect(page.locator("h1")).to_have_text("Organisers' log-in")
    expect(page.get_by_label("E-mail address")).to_have_value(ADMIN_EMAIL)

    log_in(page, ADMIN_EMAIL)
    expect(page).to_have_url(live_server.url + "/organisers/")
    expect(page.locator("h1")).to_have_text("Dashboard")
    tiles = page.locator(".stat-tiles li")
    expect(tiles.filter(has_text="confirmed signatures")).to_have_text("3 confirmed signatures")
    expect(tiles.filter(has_text="waiting to confirm")).to_contain_text("1 waiting")
    expect(tiles.filter(has_text="awaiting review")).to_have_text("2 groups awaiting review")

    per_day = page.get_by_role("img", name="Confirmed signatures per day over the last 30 days")
    by_region = page.get_by_role("img", name="Confirmed signatures by region")
    for chart in (per_day, by_region):
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box["width"] > 200 and box["height"] > 50, box
    bars = per_day.locator("rect")
    expect(bars).to_have_count(30)
    # One bar per day with a signature: today, yesterday and three days ago.
    heights = [float(h) for h in bars.evaluate_all("bs => bs.map(b => b.getAttribute('height'))")]
    assert sum(1 for h in heights if h > 0) == 3, heights
    labels = by_region.locator("text.chart__label").all_text_contents()
    values = by_region.locator("text.chart__value").all_text_contents()
    assert dict(zip(labels, values, strict=True))["London"] == "2"
    assert dict(zip(labels, values, strict=True))["Yorkshire and the Humber"] == "1"

    awaiting = page.get_by_role("region", name="Groups awaiting review")
    expect(awaiting.get_by_role("listitem")).to_have_count(2)
    expect(awaiting).to_contain_text("Leeds Labour Left (Local Labour left group)")
    expect(awaiting).to_contain_text("Momentum Hackney (Momentum branch)")

    page.get_by_role("button", name=re.compile("^Log out")).click()
    expect(page).to_have_url(live_server.url + "/organisers/login")
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    page.goto("/organisers/")
    expect(page).to_have_url(re.compile(r"/organisers/login\?next="))
    expect(page.locator("h1")).to_have_text("Organisers' log-in")

    actions = [(a, actor) for a, actor, _, _ in audit_actions(live_server.app)]
    assert ("login.failed", "anonymous") in actions
    assert ("login", ADMIN_EMAIL) in actions and ("logout", ADMIN_EMAIL) in actions


# --- 2. the affiliations queue ------------------------------------------------------------


def row_of(page: Any, group_id: int) -> Any:
    return page.locator(f"tr#group-{group_id}")


def test_queue_approve_reject_and_fee_in_place(as_admin, live_server):
    app = live_server.app
    leeds = affiliate(app, "Leeds Labour Left")
    bristol = affiliate(app, "Bristol Left Forum", region="south-west")
    union = affiliate(app, "Bakers Union", kind="trade-union", region="national")
    with app.app_context():
        approve_group(db.session.get(Group, union), by=ADMIN_EMAIL)
        db.session.commit()
    waiting_union = affiliate(app, "Nurses Union", kind="trade-union", region="national")

    page = as_admin()
    page.goto("/organisers/groups")
    page.wait_for_function("window.htmx !== undefined")
    expect(page.locator("h1")).to_have_text("Affiliations")
    # A union awaiting review is listed once, with its fee, not again among the fees.
    expect(row_of(page, waiting_union)).to_have_count(1)
    expect(row_of(page, waiting_union)).to_contain_text("Fee £500: not paid")
    # Marks that a reload would lose: the page object, and the other row's DOM node.
    page.evaluate(
        """(id) => { window.notReloaded = true;
                     window.otherRow = document.getElementById('group-' + id); }""",
        bristol,
    )

    with page.expect_response(re.compile(rf"/groups/{leeds}/approve$")) as answer:
        row_of(page, leeds).get_by_role("button", name="Approve").click()
    assert answer.value.status == 200
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(row_of(page, leeds).locator(".status")).to_have_text(f"Approved by {ADMIN_EMAIL}")
    expect(row_of(page, leeds).get_by_role("status")).to_have_text("Leeds Labour Left is approved.")
    expect(row_of(page, leeds).get_by_role("button", name="Approve")).to_have_count(0)
    assert page.evaluate(
        "(id) => window.notReloaded === true"
        " && document.getElementById('group-' + id) === window.otherRow",
        bristol,
    ), "only the approved row changed; the page was not reloaded"
    expect(row_of(page, bristol).locator(".status")).to_have_text("Confirmed")

    # Reject without a reason: the row says what is missing, and nothing changes.
    bristol_row = row_of(page, bristol)
    bristol_row.get_by_text("Reject…").click()
    bristol_row.get_by_role("button", name="Reject").click()
    expect(bristol_row.get_by_role("alert")).to_have_text("Give a reason for the rejection.")
    expect(bristol_row.locator(".status")).to_have_text("Confirmed")
    reason = bristol_row.get_by_label(re.compile("^Reason"))
    expect(reason).to_be_visible()  # the form stays open for the reason
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    shot(page, "queue-reject-error")
    reason.fill("The group has not decided to affiliate at a meeting.")
    bristol_row.get_by_role("button", name="Reject").click()
    expect(bristol_row.locator(".status")).to_have_text(f"Rejected by {ADMIN_EMAIL}")
    expect(bristol_row).to_contain_text(
        "Reason: The group has not decided to affiliate at a meeting."
    )
    expect(bristol_row.get_by_role("alert")).to_have_count(0)

    fees = page.get_by_role("region", name=re.compile("^National union fees"))
    union_row = fees.locator(f"tr#group-{union}")
    expect(union_row).to_contain_text("Fee £500: not paid")
    yesterday = utcnow().date() - dt.timedelta(days=1)
    union_row.get_by_label(re.compile("^Fee paid on")).fill(yesterday.isoformat())
    union_row.get_by_role("button", name="Record fee").click()
    expect(union_row.get_by_role("status")).to_have_text(
        f"Bakers Union: fee paid on {yesterday:%d %B %Y}."
    )
    expect(union_row).to_contain_text("paid")
    expect(union_row).not_to_contain_text("not paid")
    assert page.evaluate("window.notReloaded === true")
    shot(page, "queue-after-decisions")

    with app.app_context():
        leeds_group, bristol_group, union_group = (
            db.session.get(Group, ident) for ident in (leeds, bristol, union)
        )
        assert leeds_group.status == "approved"
        assert bristol_group.status == "rejected"
        assert union_group.fee_paid_on == yesterday

    page.goto("/organisers/audit")
    expect(page.locator("h1")).to_have_text("Audit log")
    log = page.locator("table.audit tbody")
    for action, target, detail in (
        ("Group approved", f"group:{leeds}", "name: Leeds Labour Left"),
        ("Group rejected", f"group:{bristol}", "reason: The group has not decided"),
        ("Group fee recorded", f"group:{union}", f"paid_on: {yesterday.isoformat()}"),
    ):
        entry = log.get_by_role("row").filter(has_text=action)
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text(ADMIN_EMAIL)
        expect(entry).to_contain_text(target)
        expect(entry).to_contain_text(detail)


def test_queue_approve_without_javascript_posts_and_comes_back(as_admin, live_server):
    leeds = affiliate(live_server.app, "Leeds Labour Left")
    bristol = affiliate(live_server.app, "Bristol Left Forum", region="south-west")
    page = as_admin(java_script_enabled=False)
    page.goto("/organisers/groups")
    with page.expect_request(re.compile(rf"/groups/{leeds}/approve$")) as request:
        row_of(page, leeds).get_by_role("button", name="Approve").click()
    assert "hx-request" not in request.value.headers
    expect(page).to_have_url(live_server.url + "/organisers/groups")
    flash = page.get_by_role("status").filter(has_text="Leeds Labour Left is approved.")
    expect(flash).to_be_visible()
    # Approved groups leave the queue; the other one is still waiting.
    expect(page.locator("h2", has_text="Awaiting review")).to_have_text("Awaiting review (1)")
    expect(row_of(page, leeds)).to_have_count(0)
    expect(row_of(page, bristol).locator(".status")).to_have_text("Confirmed")
    with live_server.app.app_context():
        assert db.session.get(Group, leeds).status == "approved"


# --- 3. supporters: search, filters, pages, one supporter, erasure -----------------------


def test_supporters_search_filter_pages_and_erase(as_admin, live_server, tmp_path):
    now = utcnow().replace(microsecond=0)
    londoners = [
        person("Pat", f"Person{n:02d}", "SW1A 1AA", now - dt.timedelta(hours=n))
        for n in range(1, 61)
    ]
    import_supporters(
        live_server.app,
        tmp_path,
        [
            *londoners,
            person("Ada", "Lovelace", "LS1 4AP", now - dt.timedelta(days=3)),
            person("Barbara", "Castle", "BD1 1AA", now - dt.timedelta(days=4)),
        ],
    )
    page = as_admin()
    page.goto("/organisers/supporters")
    page.wait_for_function("window.htmx !== undefined")
    page.evaluate("window.notReloaded = true")
    results = page.locator("#supporter-results tbody tr")
    search = page.get_by_role("search")

    def run_search(q: str = "", region: str = "Any region") -> None:
        search.get_by_label("Search").fill(q)
        search.get_by_label("Region").select_option(label=region)
        with page.expect_response(lambda r: "/organisers/supporters?" in r.url):
            search.get_by_role("button", name="Search").click()

    def query() -> dict[str, list[str]]:
        return parse_qs(urlsplit(page.url).query)

    run_search("Ada Lovelace")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("Ada Lovelace")
    assert query()["q"] == ["Ada Lovelace"], page.url

    run_search("ls1 4ap")  # a postcode, as typed
    expect(results).to_have_count(1)
    expect(results).to_contain_text("LS1 4AP · Yorkshire and the Humber")
    assert query()["q"] == ["ls1 4ap"]

    run_search(region="Yorkshire and the Humber")
    expect(results).to_have_count(2)
    expect(results.nth(0)).to_contain_text("Ada Lovelace")  # newest first
    expect(results.nth(1)).to_contain_text("Barbara Castle")
    assert query()["region"] == ["yorkshire"]

    run_search(region="London")
    expect(results).to_have_count(50)
    seen = results.locator("td:first-child").all_inner_texts()
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"after="))
    expect(results).to_have_count(10)
    seen += results.locator("td:first-child").all_inner_texts()
    assert seen == [f"Pat Person{n:02d}" for n in range(1, 61)], "newest first, none twice"
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    expect(page.get_by_role("link", name="First page")).to_be_visible()
    assert query()["region"] == ["london"]
    assert page.evaluate("window.notReloaded === true"), "the list was updated in place"
    page.go_back()
    expect(results).to_have_count(50)

    run_search("Lovelace")
    results.get_by_role("link", name="Ada Lovelace").click()
    expect(page.locator("h1")).to_have_text("Ada Lovelace")
    supporter_url = page.url
    details = page.locator("dl")
    expect(details).to_contain_text("ada.lovelace@example.org")
    expect(details).to_contain_text("LS1 4AP (Yorkshire and the Humber)")

    page.get_by_role("link", name="Erase this supporter").click()
    expect(page.locator("h1")).to_have_text("Erase Ada Lovelace?")
    expect(page.get_by_text("ada.lovelace@example.org")).to_be_visible()
    page.get_by_label(re.compile("^Reason")).fill("Erasure request SAR-42")
    page.get_by_role("button", name="Erase for good").click()
    expect(page).to_have_url(live_server.url + "/organisers/supporters")
    expect(page.get_by_text(re.compile(r"Supporter \d+ has been erased\."))).to_be_visible()

    run_search("Ada Lovelace")
    expect(results).to_have_count(0)
    expect(page.get_by_text("No supporter matches.")).to_be_visible()
    assert page.goto(supporter_url).status == 404
    with live_server.app.app_context():
        gone = sa.select(Supporter).where(Supporter.last_name == "Lovelace")
        assert db.session.scalar(gone) is None
    erased = [r for r in audit_actions(live_server.app) if r[0] == "supporter.erased"]
    assert [(actor, details["reason"]) for _, actor, _, details in erased] == [
        (ADMIN_EMAIL, "Erasure request SAR-42")
    ]


# --- 4. export ----------------------------------------------------------------------------


def test_export_downloads_the_csv_and_is_audited(
    as_organiser, as_admin, live_server, browser_log, tmp_path
):
    now = utcnow().replace(microsecond=0)
    consented = [
        person("Ada", "Lovelace", "LS1 4AP", now - dt.timedelta(days=1)),
        person("Keir", "Hardie", "SW1A 1AA", now - dt.timedelta(days=2)),
        person("Ellen", "Wilkinson", "M1 1AE", now - dt.timedelta(days=3)),
    ]
    import_supporters(
        live_server.app,
        tmp_path,
        [
            *consented,
            person("Nye", "Bevan", "SW1A 1AA", now, consent=False),  # no bulletin consent
            person("Jennie", "Lee", "SW1A 1AA", None),  # not confirmed
        ],
    )
    page = as_organiser()
    page.goto("/organisers/export")
    expect(page.locator("h1")).to_have_text("Export supporters")
    expect(page.get_by_label("CSV (for mailing tools)")).to_be_checked()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    download = download_info.value
    # Chromium ends the form's navigation when the answer turns out to be a download.
    browser_log.expect(r"/organisers/export \(net::ERR_ABORTED\)")
    assert re.fullmatch(r"supporters-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    with open(download.path(), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == SPEC_COLUMNS
    assert len(rows) - 1 == len(consented)
    exported = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert sorted(r["email"] for r in exported) == sorted(p["email"] for p in consented)
    ada = next(r for r in exported if r["last_name"] == "Lovelace")
    assert ada["region"] == "Yorkshire and the Humber" and ada["bulletin_consent"] == "yes"

    admin = as_admin()
    admin.goto("/organisers/audit")
    entry = (
        admin.locator("table.audit tbody").get_by_role("row").filter(has_text="Supporters exported")
    )
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(ORGANISER_EMAIL)
    expect(entry).to_contain_text(download.suggested_filename)
    expect(entry).to_contain_text(f"rows: {len(consented)}")


# --- 5. what an organiser who is not an admin may not do --------------------------------


def test_an_organiser_cannot_see_the_audit_log_or_erase(as_organiser, live_server, tmp_path):
    import_supporters(live_server.app, tmp_path, [person("Ada", "Lovelace", "LS1 4AP", utcnow())])
    with live_server.app.app_context():
        ada = db.session.scalar(sa.select(Supporter.id))
    page = as_organiser()
    page.goto("/organisers/")
    nav = page.get_by_role("navigation", name="Organisers")
    expect(nav.get_by_role("link", name="Supporters")).to_be_visible()
    expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)

    response = page.goto("/organisers/audit")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")

    page.goto(f"/organisers/supporters/{ada}")
    expect(page.locator("h1")).to_have_text("Ada Lovelace")
    expect(page.get_by_role("link", name=re.compile("Erase"))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Erase"))).to_have_count(0)
    assert page.goto(f"/organisers/supporters/{ada}/erase").status == 403
    with live_server.app.app_context():
        assert db.session.get(Supporter, ada) is not None


# --- 6. small screens, and what the pages look like -------------------------------------


def test_dashboard_and_queue_fit_a_320px_screen(as_organiser, live_server, tmp_path):
    import_supporters(live_server.app, tmp_path, [person("Ada", "Lovelace", "LS1 4AP", utcnow())])
    affiliate(
        live_server.app,
        "The Very Long Named Amalgamated Society of Railway Servants Branch",
        website="https://a-very-long-domain-name-for-a-group.example.org/about/us",
    )
    affiliate(live_server.app, "Bakers Union", kind="trade-union", region="national")
    page = as_organiser(viewport={"width": 320, "height": 640})
    for path in ("/organisers/", "/organisers/groups"):
        page.goto(path)
        no_horizontal_overflow(page)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_room_pages_fit_phone_and_desktop(new_page, as_admin, live_server, tmp_path, size):
    now = utcnow().replace(microsecond=0)
    import_supporters(
        live_server.app,
        tmp_path,
        [
            person("Ada", "Lovelace", "LS1 4AP", now - dt.timedelta(days=1)),
            person("Keir", "Hardie", "SW1A 1AA", now - dt.timedelta(days=3)),
            person("Ellen", "Wilkinson", "M1 1AE", now),
            person("Nye", "Bevan", "EH1 1YZ", None),
        ],
    )
    affiliate(live_server.app, "Leeds Labour Left", website="https://leedsleft.example.org/")
    affiliate(live_server.app, "Bakers Union", kind="trade-union", region="national")
    with live_server.app.app_context():
        ada = db.session.scalar(sa.select(Supporter.id).where(Supporter.last_name == "Lovelace"))

    def look(page: Any, name: str) -> None:
        no_horizontal_overflow(page)
        shot(page, name)

    anonymous = new_page(viewport=size)
    anonymous.goto("/organisers/login")
    look(anonymous, "login")
    page = as_admin(viewport=size)
    for name, path in (
        ("dashboard", "/organisers/"),
        ("queue", "/organisers/groups"),
        ("supporters", "/organisers/supporters"),
        ("supporter", f"/organisers/supporters/{ada}"),
        ("export", "/organisers/export"),
        ("audit", "/organisers/audit"),
    ):
        assert page.goto(path).status == 200
        look(page, name)
