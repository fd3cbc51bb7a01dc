"""The browser tests' pieces that are not fixtures: Chromium's settings, htmx from the npm
registry, the app on a live port, what a page reports, and a few page actions.

The fixtures that use them (browser, live_server, new_page, page, ...) are in
tests/browser/conftest.py.
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

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from campaign.config import HTMX_VERSION
from campaign.extensions import db
from campaign.organisers.models import Organiser
from tests.support.factories import PASSWORD
from tests.support.mail import MailBox
from tests.support.services import empty_all_tables, skip_or_fail

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
# htmx fetched from the npm registry, kept between runs (git ignores it).
CACHE = Path(__file__).resolve().parent.parent / ".cache"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# How long one action or expectation may wait. Local pages answer in milliseconds, but
# CI runs the suite on two busy cores, where a live server thread can be starved for
# seconds: a passing expectation returns as soon as it holds, so patience costs nothing.
TIMEOUT_MS = 15_000
SHOTS = os.environ.get("BROWSER_SCREENSHOTS")  # a folder: save what the pages look like
# A page opener: `new_page(java_script_enabled=..., htmx=bytes, viewport=..., ...)`.
NewPage = Callable[..., Any]


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


# --- what a test does on a page ----------------------------------------------------------


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot when BROWSER_SCREENSHOTS names a folder."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        # caret="initial": hiding the caret would inject a style, which the CSP refuses.
        path = f"{SHOTS}/{name}-{page.viewport_size['width']}.png"
        page.screenshot(path=path, full_page=True, caret="initial")


def fill_sign_form(page: Any, email: str = "ada@example.org", **values: str) -> None:
    """Type a signature into the form by its labels, as a person would."""
    answers = {
        "First name": "Ada",
        "Last name": "Lovelace",
        "Your e-mail address": email,
        "UK postcode": "sw1a1aa",
        **values,
    }
    for label, value in answers.items():
        page.get_by_label(label, exact=True).fill(value)
    member = page.get_by_role("group", name="Are you a member of the Labour Party?")
    member.get_by_label("No", exact=True).check()


def log_in(page: Any, email: str, password: str = PASSWORD) -> None:
    """Fill in and send the organisers' log-in form on the page that shows it."""
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


# --- the organisers' room: one app and two accounts per test module ------------------------


def reset_room(room: LiveServer, accounts: list[dict[str, Any]]) -> None:
    """Empty everything but the two accounts, restored as first created (session
    generation included, so the saved log-ins stay valid)."""
    with room.app.app_context():
        empty_all_tables()
        db.session.execute(sa.insert(Organiser), accounts)
        db.session.commit()


def account_rows(app: Flask) -> list[dict[str, Any]]:
    """Every organiser account's row, as a dict of its columns."""
    with app.app_context():
        return [dict(row) for row in db.session.execute(sa.select(Organiser.__table__)).mappings()]
