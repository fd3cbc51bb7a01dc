"""Real-browser fixtures: the app on a live port, Debian's Chromium driven by Playwright.

One Chromium per test run; a fresh browser context (cookies, storage) per page. htmx is
served from the npm package pinned in campaign/config.py instead of the CDN (the tests run
offline), so the page's Subresource Integrity check runs against the real file. Every
context records console errors, CSP violations, uncaught exceptions, failed requests and
requests to other hosts; a test fails at teardown if its pages produced any it did not
expect (`browser_log.expect(...)`).

A new browser test lives in tests/browser/ (so these fixtures apply) and is marked:

    @pytest.mark.browser
    def test_news_link(page, live_server):
        page.goto("/")
        page.get_by_role("link", name="News").first.click()
        expect(page).to_have_url(live_server.url + "/news")
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import expect

from campaign import create_app
from campaign.extensions import db
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    TIMEOUT_MS,
    BrowserLog,
    LiveServer,
    NewPage,
    account_rows,
    log_in,
    npm_htmx,
    reset_room,
    serve,
    watch,
)
from tests.support.factories import ADMIN_EMAIL, ORGANISER_EMAIL, PASSWORD
from tests.support.mail import MailBox
from tests.support.services import empty_all_tables, skip_or_fail
from tests.support.web import app_settings

# Playwright's assertions have their own timeout (5 s), apart from the context's.
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser/ as a browser test (`-m "not browser"` skips them)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


# --- htmx from the npm registry --------------------------------------------------------


@pytest.fixture(scope="session")
def htmx_source() -> bytes:
    """The bytes of the pinned htmx release, as the CDN would serve them."""
    return npm_htmx().read_bytes()


# --- the site on a real port -----------------------------------------------------------


@pytest.fixture
def live_server(app: Flask, mailbox: MailBox) -> Iterator[LiveServer]:
    """The test app (fresh database, mail to `mailbox`) on a live port.

    A test that needs other settings changes `app.config` before the first request, or a
    fixture of its own builds an app and calls `serve(app, mailbox)` (tests.support.browser).
    """
    yield from serve(app, mailbox)


# --- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, started once for the whole run."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_log() -> Iterator[BrowserLog]:
    """The problems reported by this test's pages; the test fails if any is left over."""
    log = BrowserLog()
    yield log
    log.assert_clean()


@pytest.fixture
def new_page(
    browser: Any, live_server: LiveServer, htmx_source: bytes, browser_log: BrowserLog
) -> Iterator[NewPage]:
    """Open a page in a fresh context: `new_page(java_script_enabled=..., htmx=bytes, ...)`.

    Relative URLs go to the live server; the htmx CDN URL is answered with `htmx`
    (the pinned release by default); any other outside host is refused and recorded.
    Other keyword arguments go to `browser.new_context` (viewport, locale, ...).
    """
    contexts = []
    htmx_url = live_server.app.config["HTMX_SCRIPT_URL"]
    local = urlsplit(live_server.url).netloc

    def open_page(*, htmx: bytes | None = None, **options: Any) -> Any:
        body = htmx_source if htmx is None else htmx

        def outside(route: Any) -> None:
            if route.request.url == htmx_url:
                route.fulfill(
                    status=200,
                    body=body,
                    headers={
                        "Content-Type": "application/javascript; charset=utf-8",
                        # The script tag is crossorigin, so SRI needs a CORS answer.
                        "Access-Control-Allow-Origin": "*",
                    },
                )
            else:
                browser_log.add("outside request", route.request.url)
                route.abort("blockedbyclient")

        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=live_server.url, **options)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        watch(context, browser_log)
        context.route(lambda url: urlsplit(url).netloc != local, outside)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Any:
    """A desktop-sized page with JavaScript on, in a fresh context."""
    return new_page()


@pytest.fixture
def page_without_js(new_page: NewPage) -> Any:
    """A desktop-sized page with JavaScript off: what the site must still do without htmx."""
    return new_page(java_script_enabled=False)


# --- the organisers' room: one app, two accounts, two saved log-ins per module ------------
#
# argon2 makes each log-in deliberately slow, so a module of room tests shares one app and
# live server: the two accounts are created once with `flask organisers create` and logged
# in once through the form, and every test starts from their saved browser storage. Before
# each test every table is emptied and the two account rows are put back as they were, so
# the saved sessions stay valid and each test sees only its own data. A module of room
# tests makes `room_live_server` its `live_server` and opens pages with `as_admin` or
# `as_organiser`.


@pytest.fixture(scope="module")
def room_app(
    database_url: str, smtp_server: MailBox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The test app (as tests/conftest.py makes it) with an admin and an organiser account."""
    app = create_app(
        app_settings(database_url, smtp_server),
        instance_path=str(tmp_path_factory.mktemp("organisers-instance")),
    )
    with app.app_context():
        empty_all_tables()
    runner = app.test_cli_runner()
    for email, role, name in (
        (ADMIN_EMAIL, "admin", "Alex Admin"),
        (ORGANISER_EMAIL, "organiser", "Olu"),
    ):
        result = runner.invoke(
            args=["organisers", "create", email, "--role", role, "--name", name],
            input=f"{PASSWORD}\n{PASSWORD}\n",  # the password prompt, and its confirmation
        )
        assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture(scope="module")
def room_accounts(room_app: Flask) -> list[dict[str, Any]]:
    """The two account rows as created (id and password hash make the session's identity)."""
    return account_rows(room_app)


@pytest.fixture(scope="module")
def room_server(room_app: Flask, smtp_server: MailBox) -> Iterator[LiveServer]:
    """The module's app on a live port."""
    yield from serve(room_app, smtp_server)


@pytest.fixture
def room_live_server(room_server: LiveServer, room_accounts: list[dict[str, Any]]) -> LiveServer:
    """The module's server, emptied of everything but the two accounts (as first created)."""
    reset_room(room_server, room_accounts)
    return room_server


@pytest.fixture(scope="module")
def room_sessions(
    browser: Any, room_server: LiveServer, room_accounts: list[dict[str, Any]]
) -> dict[str, Any]:
    """Browser storage states of the admin and the organiser, each logged in once."""
    # Log in on the accounts as first created: a test before this one may have logged out,
    # which moves the account's session generation on, and each test's reset moves it back.
    reset_room(room_server, room_accounts)
    local = urlsplit(room_server.url).netloc
    states = {}
    for email in (ADMIN_EMAIL, ORGANISER_EMAIL):
        context = browser.new_context(base_url=room_server.url, java_script_enabled=False)
        context.route(lambda url: urlsplit(url).netloc != local, lambda route: route.abort())
        page = context.new_page()
        page.goto("/organisers/login")
        log_in(page, email)
        expect(page.locator("h1")).to_have_text("Dashboard")
        states[email] = context.storage_state()
        context.close()
    # A log-in may find the accounts as an earlier test left them (a log-out moves the
    # session generation on): what each test restores must be what these cookies name.
    room_accounts[:] = account_rows(room_server.app)
    return states


@pytest.fixture
def as_admin(new_page: NewPage, room_sessions: dict[str, Any]) -> NewPage:
    """Open a page logged in as the admin (keyword arguments as for `new_page`)."""
    return lambda **options: new_page(storage_state=room_sessions[ADMIN_EMAIL], **options)


@pytest.fixture
def as_organiser(new_page: NewPage, room_sessions: dict[str, Any]) -> NewPage:
    """Open a page logged in as the organiser, who is not an admin."""
    return lambda **options: new_page(storage_state=room_sessions[ORGANISER_EMAIL], **options)
