"""How the site looks at 320-1440 px, measured in Chromium: the header's rows, no page wider
than the window, the organisers' own header. `make screenshots` also saves every page at
every width (BROWSER_SCREENSHOTS names the folder) to be looked at."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from campaign.counters.countlog import take_snapshot
from campaign.extensions import db
from campaign.organisers.accounts import create_organiser
from tests.support.browser import log_in, shot
from tests.support.factories import add_campaign

pytestmark = pytest.mark.browser

WIDTHS = [320, 390, 768, 1024, 1440]
PAGES = {
    "home": "/",
    "appeal": "/appeal",
    "programme": "/programme",
    "groups": "/groups",
    "numbers": "/numbers",
    "count-log": "/numbers/log",
    "news": "/news",
    "events": "/events",
    "share": "/share",
    "embed-sign": "/embed/sign",
    "embed-counter": "/embed/counter",
}
PASSWORD = "a long enough password for tests"

HEADER = """() => {
  const box = s => {
    const e = document.querySelector(s);
    if (!e) return null;
    const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
  };
  const links = [...document.querySelectorAll('.site-nav li')]
    .map(li => Math.round(li.getBoundingClientRect().top));
  return {header: box('.site-header'), brand: box('.brand'), nav: box('.site-nav'),
          cta: box('.site-header__cta'), linkRows: new Set(links).size,
          width: document.documentElement.scrollWidth};
}"""


@pytest.fixture
def campaign(live_server) -> Any:
    with live_server.app.app_context():
        add_campaign()
        db.session.commit()
        take_snapshot()
    return live_server


def middle(box: dict[str, float]) -> float:
    return (box["top"] + box["bottom"]) / 2


@pytest.mark.parametrize("width", [768, 800, 900, 1000, 1024, 1280, 1440])
def test_header_is_one_row_from_tablet_width(new_page, live_server, width):
    page = new_page(viewport={"width": width, "height": 800})
    page.goto("/")
    m = page.evaluate(HEADER)
    assert m["linkRows"] == 1, m
    # Brand, links and button share one row: their middles line up, left to right.
    for part in ("nav", "cta"):
        assert abs(middle(m[part]) - middle(m["brand"])) < 8, (part, m)
    assert m["brand"]["right"] <= m["nav"]["left"] and m["nav"]["right"] <= m["cta"]["left"], m
    assert m["header"]["bottom"] - m["header"]["top"] < 80, m
    assert m["width"] <= width


@pytest.mark.parametrize("width", [320, 360, 390, 480, 600])
def test_phone_header_is_compact(new_page, live_server, width):
    page = new_page(viewport={"width": width, "height": 800})
    page.goto("/")
    m = page.evaluate(HEADER)
    # The mark and the button on the first row, the links below in at most two rows.
    assert abs(middle(m["cta"]) - middle(m["brand"])) < 8, m
    assert m["nav"]["top"] >= m["cta"]["bottom"] - 1, m
    assert m["linkRows"] <= 2, m
    assert m["header"]["bottom"] - m["header"]["top"] <= 130, m  # 188 px before
    assert m["width"] <= width
    # The campaign's name is still the brand link's name for screen readers.
    expect(page.get_by_role("link", name="Labour Left Alliance")).to_have_count(1)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_main_page_fits_its_window(new_page, campaign, width):
    page = new_page(viewport={"width": width, "height": 900})
    for name, path in PAGES.items():
        response = page.goto(path)
        assert response.status == 200, path
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{path} is {scroll_width}px wide at {width}px"
        shot(page, name)


@pytest.mark.parametrize("width", [390, 1024])
def test_numbers_chart_text_is_readable(new_page, campaign, width):
    page = new_page(viewport={"width": width, "height": 900})
    page.goto("/numbers")
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart__svg')].flatMap(svg => {
          const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
          return [...svg.querySelectorAll('text')]
            .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
        })"""
    )
    assert sizes and min(sizes) >= 14, sorted(sizes)[:3]  # 10 px before, at phone width


@pytest.mark.parametrize("width", [390, 1024])
def test_organisers_have_their_own_header(new_page, campaign, width):
    with campaign.app.app_context():
        create_organiser("look@example.org", "Look", "admin", PASSWORD)
        db.session.commit()
    page = new_page(viewport={"width": width, "height": 900})
    page.goto("/organisers/login")
    log_in(page, "look@example.org", PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    header = page.locator(".site-header")
    expect(header.get_by_text("Organisers' room")).to_be_visible()
    expect(header.get_by_role("link", name="Sign the appeal")).to_have_count(0)
    expect(header.get_by_role("link", name="Public site")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "organisers-dashboard")
