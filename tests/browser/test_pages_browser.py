"""The content pages in a real Chromium: render cleanly, htmx with SRI, keyboard, small screens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaign.content import current_content
from tests.support.browser import DESKTOP, PHONE, shot

pytestmark = pytest.mark.browser

# "{post}" stands for the newest news post, whichever it is.
PAGES = ["/", "/programme", "/news", "/news/{post}", "/privacy", "/no-such-page"]


@pytest.fixture
def newest_post(live_server):
    with live_server.app.app_context():
        return current_content().news[0]


def resolve(path: str, post) -> str:
    return path.format(post=post.slug)


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_without_console_errors_or_csp_violations(
    page, browser_log, newest_post, path
):
    response = page.goto(resolve(path, newest_post))
    assert response.status == (404 if path == "/no-such-page" else 200)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_be_visible()
    # The stylesheets applied: the header carries the campaign colour, not the default.
    header_bg = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header_bg not in ("rgba(0, 0, 0, 0)", "transparent")
    page.wait_for_function("window.htmx !== undefined")
    assert not browser_log.csp_violations
    browser_log.assert_clean()


def test_htmx_loads_and_passes_its_integrity_check(page, live_server, browser_log):
    page.goto("/")
    page.wait_for_function("window.htmx !== undefined")
    assert (
        page.evaluate("htmx.version")
        == live_server.app.config["HTMX_SCRIPT_URL"].split("@")[1].split("/")[0]
    )
    assert page.locator("script[integrity]").get_attribute("crossorigin") == "anonymous"


def test_a_tampered_htmx_is_blocked_by_subresource_integrity(new_page, htmx_source, browser_log):
    tampered = htmx_source + b"\n/* changed on the way */ window.tampered = true;\n"
    page = new_page(htmx=tampered)
    with page.expect_console_message(lambda m: "integrity" in m.text):
        page.goto("/")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.htmx") == "undefined"
    assert page.evaluate("typeof window.tampered") == "undefined"
    browser_log.expect(r"integrity")


def test_skip_link_appears_on_focus_and_moves_focus_to_main(page):
    page.goto("/programme")
    skip = page.get_by_role("link", name="Skip to content")
    box = skip.bounding_box()
    assert box["y"] + box["height"] <= 0, "the skip link is hidden until focused"
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] > 0, "the focused skip link is on screen"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab goes on from the content, not back to the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_programme_contents_links_jump_to_their_themes(page):
    page.goto("/programme")
    contents = page.get_by_role("navigation", name="Contents").get_by_role("link")
    expect(contents).to_have_count(3)
    for link in contents.all()[::-1]:  # from the last, so every jump scrolls
        anchor = link.get_attribute("href")
        link.click()
        expect(page).to_have_url(re.compile(re.escape(anchor) + "$"))
        heading = page.locator(f"{anchor} h2")
        expect(heading).to_be_in_viewport()
        top = heading.evaluate("e => e.getBoundingClientRect().top")
        assert 0 <= top < 200, f"{anchor} is at the top of the window, not {top}px down"


def test_boosted_navigation_from_home_to_programme(page, live_server):
    page.goto("/")
    page.wait_for_function("window.htmx !== undefined")
    home_title = page.title()
    with page.expect_request(lambda r: r.url.endswith("/programme")) as request:
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="What we stand for"
        ).click()
    assert request.value.headers.get("hx-boosted") == "true", "htmx made the request"
    expect(page).to_have_url(live_server.url + "/programme")
    expect(page).not_to_have_title(home_title)
    expect(page).to_have_title(re.compile("^What we stand for"))
    expect(page.locator("h1")).to_have_text("What we stand for")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="What we")
    expect(nav_link).to_have_attribute("aria-current", "page")
    page.go_back()
    expect(page).to_have_url(live_server.url + "/")
    expect(page).to_have_title(home_title)


def test_plain_navigation_without_javascript(page_without_js, live_server):
    page = page_without_js
    page.goto("/")
    with page.expect_request(lambda r: r.url.endswith("/programme")) as request:
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="What we stand for"
        ).click()
    assert "hx-request" not in request.value.headers
    expect(page).to_have_url(live_server.url + "/programme")
    expect(page).to_have_title(re.compile("^What we stand for"))
    page.get_by_role("link", name="News").first.click()
    expect(page.locator("h1")).to_have_text("News")


@pytest.mark.parametrize("path", PAGES)
def test_nothing_overflows_a_320px_screen(new_page, newest_post, path):
    page = new_page(viewport={"width": 320, "height": 640})
    page.goto(resolve(path, newest_post))
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 320.5)
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))
            .slice(0, 5)"""
    )
    assert width <= 320, f"{path} is {width}px wide at 320px; too wide: {wide}"


def test_keyboard_focus_is_visible(page):
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the campaign's name, home
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("href", "/")
    style = focused.evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth] }"
    )
    assert style[0] != "none" and style[1] != "0px", style


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pages_fit_phone_and_desktop(new_page, newest_post, size):
    page = new_page(viewport=size)
    for path in PAGES[:4]:
        page.goto(resolve(path, newest_post))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{path} overflows at {size['width']}px"
        shot(page, path.strip("/").replace("/", "-").replace("{post}", "post") or "home")


def test_the_watcher_reports_csp_violations(app, page, browser_log):
    # A page breaking the policy, as a template with inline script or style would.
    app.add_url_rule(
        "/_test/inline",
        "inline_test",
        lambda: "<!doctype html><title>t</title><h1 style='color:red'>x</h1><script>1</script>",
    )
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.goto("/_test/inline")
    page.wait_for_load_state("load")
    assert len(browser_log.csp_violations) >= 2, browser_log.problems  # the script and the style
    browser_log.expect("Content Security Policy")


def test_a_boosted_link_to_a_missing_page_shows_the_404_page(page, live_server):
    page.goto("/")
    page.wait_for_function("window.htmx !== undefined")
    # A broken link, as an old news post might carry.
    page.evaluate(
        """() => {
            const link = Object.assign(document.createElement('a'), {href: '/gone', id: 'gone'});
            link.textContent = 'An old link';
            document.querySelector('main').prepend(link);
            htmx.process(link);
        }"""
    )
    page.click("#gone")
    expect(page).to_have_url(live_server.url + "/gone")
    expect(page.locator("h1")).to_have_text("Page not found")
