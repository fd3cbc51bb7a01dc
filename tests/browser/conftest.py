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

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from campaign.config import HTMX_VERSION
from tests.support.mail import MailBox
from tests.support.services import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
CACHE = Path(__file__).resolve().parent.parent / ".cache"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# How long one action or expectation may wait: local pages answer in milliseconds.
TIMEOUT_MS = 5_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser/ as a browser test (`-m "not browser"` skips them)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


# --- htmx from the npm registry --------------------------------------------------------


def npm_htmx(version: str = HTMX_VERSION) -> Path:
    """The htmx.min.js of the npm package htmx.org@version, fetched once into tests/.cache."""
    target = CACHE / f"htmx.org-{version}"
    script = target / "package" / "dist" / "htmx.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        skip_or_fail("npm is not installed: the browser tests take htmx from the npm registry")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        # Its own cache folder and no prompts, audits or notices: CI has no terminal and
        # may have no writable home directory.
        env = {
            **os.environ,
            "npm_config_cache": str(CACHE / "npm"),
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
            "npm_config_yes": "true",
            "npm_config_loglevel": "error",
        }
        result = subprocess.run(
            [npm, "pack", f"htmx.org@{version}", "--pack-destination", tmp],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
        )
        tarballs = list(Path(tmp).glob("htmx.org-*.tgz"))
        if result.returncode != 0 or not tarballs:
            pytest.fail(f"npm pack htmx.org@{version} failed:\n{result.stdout}\n{result.stderr}")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            tar.extractall(unpacked, filter="data")
        # A rename is atomic: a parallel run sees either no folder or a complete one.
        try:
            unpacked.rename(target)
        except OSError:
            if not script.exists():
                raise
    if not script.exists():
        pytest.fail(f"htmx.org@{version} has no package/dist/htmx.min.js")
    return script


@pytest.fixture(scope="session")
def htmx_source() -> bytes:
    """The bytes of the pinned htmx release, as the CDN would serve them."""
    return npm_htmx().read_bytes()


# --- the site on a real port -----------------------------------------------------------


@dataclass
class LiveServer:
    """The app served over HTTP on 127.0.0.1 for a browser."""

    app: Flask
    url: str
    mailbox: MailBox
    server: BaseWSGIServer

    def deliver_mail(self) -> dict[str, int]:
        """Send what the outbox holds to the test SMTP server, as `flask mail work` would."""
        from campaign.mail.services import send_due_messages

        with self.app.app_context():
            return send_due_messages()


def serve(app: Flask, mailbox: MailBox) -> Iterator[LiveServer]:
    """Serve `app` on a free port in a thread; for fixtures of app variants."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # Links in pages and e-mails must point at this server.
    app.config.update(SERVER_NAME=f"127.0.0.1:{server.server_port}", SITE_URL=url)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=url, mailbox=mailbox, server=server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask, mailbox: MailBox) -> Iterator[LiveServer]:
    """The test app (fresh database, mail to `mailbox`) on a live port.

    A test that needs other settings changes `app.config` before the first request, or a
    fixture of its own builds an app and calls `serve(app, mailbox)`.
    """
    yield from serve(app, mailbox)


# --- what a page reports ---------------------------------------------------------------


@dataclass
class BrowserLog:
    """Problems the browser reported: console errors, CSP violations, failed requests."""

    problems: list[str] = field(default_factory=list)

    def add(self, kind: str, text: str) -> None:
        self.problems.append(f"{kind}: {text}")

    def expect(self, pattern: str) -> list[str]:
        """Assert a problem matching `pattern` (a regex) was seen; forget the matches."""
        matches = [p for p in self.problems if re.search(pattern, p, re.IGNORECASE)]
        assert matches, f"expected a browser problem matching {pattern!r}, saw {self.problems}"
        self.problems = [p for p in self.problems if p not in matches]
        return matches

    @property
    def csp_violations(self) -> list[str]:
        return [p for p in self.problems if "Content Security Policy" in p]

    def assert_clean(self) -> None:
        """No console error, CSP violation, page error or failed request so far."""
        assert not self.problems, "the browser reported:\n" + "\n".join(self.problems)


# Chromium logs every 4xx/5xx answer as a console error; the status is judged on the
# response itself instead (a 404 page or a 422 form answer is often what a test wants).
_HTTP_STATUS_MESSAGE = re.compile(r"^Failed to load resource: the server responded with a status")
_SUBRESOURCES = {"stylesheet", "script", "image", "font", "media", "manifest"}


def watch(context: Any, log: BrowserLog) -> None:
    """Record into `log` everything in `context` that a user would see as broken."""

    def on_console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text:
            log.add("CSP violation", text)
        elif message.type == "error" and not _HTTP_STATUS_MESSAGE.match(text):
            log.add("console error", f"{text} ({message.location.get('url', '')})")

    def on_response(response: Any) -> None:
        kind = response.request.resource_type
        if response.status >= 500 or (response.status >= 400 and kind in _SUBRESOURCES):
            log.add(f"HTTP {response.status}", f"{kind} {response.url}")

    def on_request_failed(request: Any) -> None:
        if "ERR_BLOCKED_BY_CLIENT" in (request.failure or ""):
            return  # an outside request the route refused, recorded there
        log.add("request failed", f"{request.url} ({request.failure})")

    context.on("console", on_console)
    context.on("weberror", lambda error: log.add("page error", str(error.error)))
    context.on("response", on_response)
    context.on("requestfailed", on_request_failed)


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


NewPage = Callable[..., Any]


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
