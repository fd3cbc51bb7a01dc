"""Embeds on other sites, in a real Chromium: framed by a listed loopback origin and signed
through, refused (by the browser itself) to an unlisted one; no cookie along the way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from campaign.appeal.models import Supporter
from campaign.config import parse_origins
from campaign.extensions import db

pytestmark = pytest.mark.browser


class HostSite:
    """An ally's website on its own loopback port: one page that frames `frame_url`."""

    def __init__(self) -> None:
        self.frame_url = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = (
                    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Our group"
                    "</title></head><body><h1>Our local group</h1>"
                    f"<iframe src='{site.frame_url}' title='The appeal' width='320' height='1400'"
                    " style='border:0'></iframe></body></html>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ally() -> Iterator[HostSite]:
    site = HostSite()
    yield site
    site.close()


@pytest.fixture
def stranger() -> Iterator[HostSite]:
    site = HostSite()
    yield site
    site.close()


def open_host(new_page, host: HostSite, frame_url: str, **options: Any):
    """A fresh browser page on `host`'s page, which frames `frame_url`."""
    host.frame_url = frame_url
    page = new_page(**options)
    # The fixture refuses outside hosts; this one is ours, so let it through to the network.
    page.route(f"{host.origin}/**", lambda route: route.continue_())
    page.goto(f"{host.origin}/")
    return page


def test_the_sign_form_works_in_a_listed_sites_frame_and_credits_that_site(
    new_page, live_server, ally, browser_log
):
    live_server.app.config["EMBED_ORIGINS"] = parse_origins(ally.origin)
    page = open_host(new_page, ally, live_server.url + "/embed/sign")
    headers = page.request.get(live_server.url + "/embed/sign").headers
    assert f"frame-ancestors 'self' {ally.origin}" in headers["content-security-policy"]
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name="Add your name")).to_be_visible()
    # It fits the 320 px frame: nothing sticks out sideways.
    inner = page.frames[1]
    assert inner.evaluate("document.documentElement.scrollWidth") <= 320

    frame.get_by_label("First name", exact=True).fill("Ada")
    frame.get_by_label("Last name", exact=True).fill("Lovelace")
    frame.get_by_label("Your e-mail address", exact=True).fill("ada@example.org")
    frame.get_by_label("UK postcode", exact=True).fill("sw1a1aa")
    frame.get_by_role("group", name="Are you a member of the Labour Party?").get_by_label(
        "No", exact=True
    ).check()
    frame.get_by_role("button", name="Sign the appeal").click()
    expect(frame.get_by_role("heading", name="Thank you. Now check your e-mail.")).to_be_visible()
    expect(page).to_have_url(f"{ally.origin}/")  # the host page stayed where it was

    with live_server.app.app_context():
        row = db.session.scalar(sa.select(Supporter).where(Supporter.email == "ada@example.org"))
        assert row is not None and row.source == f"embed:{ally.origin}"
    assert page.context.cookies() == []  # no cookie, first- or third-party
    browser_log.assert_clean()


def test_the_counter_shows_in_a_listed_sites_frame(new_page, live_server, ally, browser_log):
    live_server.app.config["EMBED_ORIGINS"] = parse_origins(ally.origin)
    page = open_host(new_page, ally, live_server.url + "/embed/counter")
    frame = page.frame_locator("iframe")
    expect(frame.get_by_text("Be one of the first 100 to sign")).to_be_visible()
    link = frame.get_by_role("link", name="Sign the appeal")
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("href") == f"/appeal?source=embed:{ally.origin}"
    page.frames[1].wait_for_function("window.htmx !== undefined")  # live where scripts run
    assert page.context.cookies() == []
    browser_log.assert_clean()


@pytest.mark.parametrize("path", ["/embed/sign", "/embed/counter", "/appeal"])
def test_an_unlisted_site_cannot_frame_the_embeds_or_any_page(
    new_page, live_server, ally, stranger, browser_log, path
):
    live_server.app.config["EMBED_ORIGINS"] = parse_origins(ally.origin)
    page = open_host(new_page, stranger, live_server.url + path)
    headers = page.request.get(live_server.url + path).headers
    assert stranger.origin not in headers["content-security-policy"]
    # Chromium refuses the frame and says why; the page inside never shows.
    page.wait_for_timeout(300)  # not a timing assertion: gives the refusal time to log
    browser_log.expect(r"frame-ancestors")
    [blocked] = browser_log.expect(r"ERR_BLOCKED_BY_RESPONSE")
    assert live_server.url + path in blocked
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name="Add your name")).to_have_count(0)
    expect(frame.get_by_role("button", name="Sign the appeal")).to_have_count(0)
    assert "chrome-error://" in page.frames[1].url or page.frames[1].url == "about:blank"
