"""The live counters in a real Chromium: polling without a reload, no-JS rendering, /numbers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from campaign.extensions import db
from tests.support.browser import DESKTOP, PHONE, SHOTS, shot
from tests.support.factories import add_approved_group, add_campaign, add_signature

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}
BAND = "How many have joined"  # the home page's counters region


@pytest.fixture
def campaign(live_server) -> Any:
    """Three confirmed signatures (two shown publicly) and two approved groups, committed."""
    with live_server.app.app_context():
        add_campaign()
        db.session.commit()
    return live_server


def counter_texts(scope: Any) -> list[str]:
    """What each counter reads, as a person sees it ("3 people have signed")."""
    return [" ".join(t.split()) for t in scope.locator(".counter").all_inner_texts()]


def table_rows(table: Any) -> list[list[str]]:
    """The text of each cell of each row of a table, header row first."""
    return [row.locator("th, td").all_inner_texts() for row in table.get_by_role("row").all()]


def overflow(page: Any) -> tuple[int, list[str]]:
    """The page's width and the first elements sticking out past the viewport's right edge."""
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map(e => e.tagName.toLowerCase() + '.' + e.getAttribute('class'))
            .slice(0, 5)"""
    )
    return width, wide


# What the counters show at one moment, read in the browser in one go (a poll may swap the
# band between two separate reads).
SNAPSHOT = """() => {
  const band = document.getElementById('counters');
  return {
    counters: [...band.querySelectorAll('.counter')].map(e => e.innerText.replace(/\\s+/g, ' ')),
    changed: [...band.querySelectorAll('.counter--changed')]
      .map(e => e.innerText.replace(/\\s+/g, ' ')),
    flashing: [...band.querySelectorAll('.counter__number')]
      .filter(e => e.getAnimations().length).map(e => e.textContent),
    progress: band.querySelector('progress')?.value,
    status: document.getElementById('counters-status').textContent,
    marker: window.counterMarker,
    width: document.documentElement.scrollWidth,
    kept: document.getElementById('counters-status').dataset.kept,
    stale: band.dataset.stale,
  };
}"""


# --- with JavaScript: the numbers change in place --------------------------------------


def test_counters_update_in_place_and_announce_the_change(new_page, campaign, browser_log):
    campaign.app.config["COUNTERS_POLL_SECONDS"] = 1
    page = new_page(viewport=NARROW)  # the flash must not push a phone's page sideways
    page.goto("/")
    band = page.get_by_role("region", name=BAND)
    assert counter_texts(band) == [
        "3 people have signed",
        "2 groups",
        "1 local Labour left group",
        "1 Momentum branch",
    ]
    expect(band.locator("progress")).to_have_js_property("value", 3)
    expect(band).to_contain_text("3 of 100: 97 to go")
    expect(band.locator(".counter--changed")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("")
    # Proof that the page is never reloaded (a reload would drop the marker) and that the
    # live region stays in place, so that screen readers announce its new text.
    page.evaluate("window.counterMarker = 'still here'")
    page.get_by_role("status").evaluate("e => e.dataset.kept = 'yes'")

    with campaign.app.app_context():
        add_signature("Ada", "Lovelace", "M1 1AA", True)
        add_approved_group("Salford Momentum", kind="momentum-branch", region="north-west")
        db.session.commit()

    # Read the band the moment the announcement arrives: the next poll clears it again.
    changed = page.wait_for_function(
        """() => document.getElementById('counters-status').textContent.startsWith('Now')
              && ("""
        + SNAPSHOT
        + ")()",
        polling=20,
        timeout=8_000,
    ).json_value()
    assert changed["marker"] == "still here"
    assert changed["kept"] == "yes"
    assert changed["counters"] == [
        "4 people have signed",
        "3 groups",
        "1 local Labour left group",
        "2 Momentum branches",
    ]
    assert changed["changed"] == ["4 people have signed", "3 groups", "2 Momentum branches"]
    assert changed["flashing"] == ["4", "3", "2"]  # the flash is seen (no reduced motion)
    assert changed["progress"] == 4
    assert changed["width"] <= NARROW["width"]
    assert changed["status"] == "Now 4 people have signed, 3 groups, 2 Momentum branches."
    expect(band).to_contain_text("4 of 100: 96 to go")

    # The next poll finds nothing new: the same numbers, none marked, nothing announced.
    page.evaluate("document.getElementById('counters').dataset.stale = 'yes'")
    again = page.wait_for_function(
        "() => !document.getElementById('counters').dataset.stale && (" + SNAPSHOT + ")()",
        polling=20,
    ).json_value()
    assert again["marker"] == "still here"
    assert again["counters"] == changed["counters"]
    assert again["changed"] == [] and again["flashing"] == []
    assert again["status"] == ""
    browser_log.assert_clean()


# --- without JavaScript: the same numbers, rendered on the server ----------------------


def test_without_javascript_home_and_numbers_show_the_same_numbers(page_without_js, campaign):
    page = page_without_js
    page.goto("/")
    home = counter_texts(page.get_by_role("region", name=BAND))
    assert home == [
        "3 people have signed",
        "2 groups",
        "1 local Labour left group",
        "1 Momentum branch",
    ]
    expect(page.locator("progress")).to_have_js_property("value", 3)
    page.goto("/numbers")
    assert counter_texts(page.get_by_role("region", name="Live counters")) == home
    regions = page.get_by_role("table", name="Signatures and affiliated groups by region")
    expect(regions).to_be_visible()


# --- /numbers: charts, tables, the recent signers ---------------------------------------


def test_numbers_page_draws_both_charts_with_tables_and_first_names_only(page, campaign):
    page.goto("/numbers")
    expect(page.locator("h1")).to_have_text("The numbers")
    for name in ("Signatures by region", "Signatures confirmed per day, last 30 days"):
        chart = page.get_by_role("img", name=re.compile("^" + re.escape(name)))
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box["width"] > 100 and box["height"] > 50, (name, box)
        # The bars are drawn, not just the frame.
        bars = chart.locator(".chart__bar")
        assert any(b.bounding_box()["width"] > 0 for b in bars.all()), name

    regions = page.get_by_role("table", name="Signatures and affiliated groups by region")
    expect(regions).to_be_visible()
    rows = {cells[0]: cells[1:] for cells in table_rows(regions)}
    assert rows["London"] == ["1", "1"]
    assert rows["Yorkshire and the Humber"] == ["1", "1"]
    assert rows["Scotland"] == ["1", "0"]
    assert rows["Wales"] == ["0", "0"]
    days = page.get_by_role("table", name=re.compile("^Signatures confirmed per day"))
    expect(days).to_be_hidden()  # folded away until asked for
    page.get_by_text("Sign-ups per day as a table").click()
    expect(days).to_be_visible()
    days_rows = table_rows(days)
    assert len(days_rows) == 31
    assert sum(int(cells[1]) for cells in days_rows[1:]) == 3

    ticker = page.locator(".ticker")
    expect(ticker.get_by_role("listitem")).to_have_count(2)
    text = ticker.inner_text()
    assert "Rosa" in text and "Tony" in text
    assert "London" in text and "Yorkshire" in text
    for hidden in ("Clement", "Attlee", "Luxemburg", "Benn"):
        assert hidden not in page.content(), f"{hidden} is on the page"


# --- small screens and screenshots -----------------------------------------------------


@pytest.mark.parametrize("size", [NARROW, PHONE, DESKTOP], ids=["320", "phone", "desktop"])
def test_counters_fit_small_and_large_screens(new_page, campaign, size):
    page = new_page(viewport=size)
    page.goto("/")
    band = page.get_by_role("region", name=BAND)
    expect(band).to_be_visible()
    width, wide = overflow(page)
    assert width <= size["width"], f"home is {width}px wide at {size['width']}px: {wide}"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        band.screenshot(path=f"{SHOTS}/home-band-{size['width']}.png")
    page.goto("/numbers")
    width, wide = overflow(page)
    assert width <= size["width"], f"/numbers is {width}px wide at {size['width']}px: {wide}"
    shot(page, "numbers")
