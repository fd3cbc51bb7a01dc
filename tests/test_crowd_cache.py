"""The crowd cache: first visits share a finished page, never a CSRF token or a session.

The careless cache this guards against hands every visitor the first visitor's token
and cookie (so one visitor could sign in another's name, or all forms fail), keeps a
page that held someone's flash message, or keeps showing old numbers after a signature
was counted. Served-from-cache is told by no template being rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask, flash, render_template_string, request, template_rendered

from campaign.appeal.models import Supporter
from campaign.crowdcache import crowd_cached
from campaign.extensions import db
from tests.support.data import form_data
from tests.support.factories import confirm, sign
from tests.support.web import csrf_from


@contextmanager
def rendered(app: Flask) -> Iterator[list[str]]:
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name or "<string>")

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def session_cookie(response) -> str:
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("session="), cookies
    return cookies[0].split(";", 1)[0]


def test_first_visitors_share_the_page_but_each_gets_a_token_and_cookie_of_their_own(app):
    first, second = app.test_client(), app.test_client()
    page_one = first.get("/appeal")
    with rendered(app) as templates:
        page_two = second.get("/appeal")
    assert templates == []  # the second visitor was answered from the cache
    token_one, token_two = csrf_from(page_one.text), csrf_from(page_two.text)
    assert token_one != token_two
    assert session_cookie(page_one) != session_cookie(page_two)
    # The pages differ only in the token.
    assert page_one.text.replace(token_one, "") == page_two.text.replace(token_two, "")

    # One visitor's token is refused with the other's session ...
    stolen = second.post("/appeal", data={"csrf_token": token_one, **form_data()})
    assert stolen.status_code == 400
    # ... and each visitor can sign with their own.
    for client, token, address in ((second, token_two, "b@example.org"),
                                   (first, token_one, "a@example.org")):  # fmt: skip
        answer = client.post("/appeal", data={"csrf_token": token, **form_data(email=address)})
        assert answer.status_code == 303
    with app.app_context():
        emails = set(db.session.scalars(sa.select(Supporter.email_canonical)))
    assert emails == {"a@example.org", "b@example.org"}


def test_a_visitor_with_a_cookie_gets_a_page_built_for_them(app, client):
    client.get("/appeal")  # now holds a session cookie
    with rendered(app) as templates:
        page = client.get("/appeal")
    assert "appeal/sign.html" in templates
    assert page.headers.getlist("Set-Cookie") == []  # the session they have is kept


@pytest.mark.parametrize("path", ["/", "/programme"])
def test_public_pages_are_kept_for_cookie_less_visitors(app, path):
    app.test_client().get(path)
    with rendered(app) as templates:
        again = app.test_client().get(path)
    assert again.status_code == 200 and templates == []


def test_counters_from_the_cache_answer_if_none_match_and_see_a_new_count_at_once(app):
    visitor = app.test_client()
    first = visitor.get("/partials/counters")
    with rendered(app) as templates:
        again = visitor.get("/partials/counters")
        unchanged = visitor.get(
            "/partials/counters", headers={"If-None-Match": first.headers["ETag"]}
        )
    assert templates == []
    assert again.data == first.data
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert unchanged.headers["ETag"] == first.headers["ETag"]
    assert "public" in unchanged.headers["Cache-Control"]

    numbers = re.findall(r"\d[\d,]*", first.text)
    with app.app_context():
        confirm(sign())
        db.session.commit()
    after = visitor.get("/partials/counters")
    assert after.headers["ETag"] != first.headers["ETag"]
    assert re.findall(r"\d[\d,]*", after.text) != numbers


def test_pages_that_keep_more_than_a_token_in_the_session_are_never_shared(app):
    @app.get("/flash-test")
    @crowd_cached
    def flashing() -> str:
        flash("only for you", "ok")
        return render_template_string("<p>{{ csrf_token() }}</p>")

    @app.get("/no-store-test")
    @crowd_cached
    def private() -> tuple[str, int, dict[str, str]]:
        return "private", 200, {"Cache-Control": "no-store"}

    app.test_client().get("/flash-test")
    app.test_client().get("/no-store-test")
    with rendered(app) as templates:
        app.test_client().get("/flash-test")
        second = app.test_client().get("/no-store-test")
    assert templates == ["<string>"]  # built again, not shared
    assert second.text == "private"
    assert len(app.extensions["crowd_cache"].entries) == 0


def test_a_post_is_never_answered_from_the_cache(app):
    app.test_client().get("/appeal")
    answer = app.test_client().post("/appeal", data=form_data())
    assert answer.status_code == 400  # no CSRF token: refused, not a cached page


def test_a_crowd_holding_the_etag_still_gets_304s_after_the_kept_answer_expires(app):
    cache = app.extensions["crowd_cache"]
    visitor = app.test_client()
    etag = visitor.get("/api/stats.json").headers["ETag"]
    for entry_key in list(cache.entries):  # as if the second had passed
        cache.entries[entry_key] = cache.entries[entry_key].__class__(
            **{**cache.entries[entry_key].__dict__, "expires": 0.0}
        )
    answer = visitor.get("/api/stats.json", headers={"If-None-Match": etag})
    assert answer.status_code == 304
    assert all(entry.expires > 0 for entry in cache.entries.values())  # refilled


def test_browsers_holding_a_session_poll_the_counters_from_the_cache(app, client):
    requests_seen: list[str] = []
    app.before_request(lambda: requests_seen.append(request.path) and None)
    client.get("/appeal")  # the sign form gave this browser a session cookie
    first = client.get("/partials/counters")
    again = client.get("/partials/counters")
    assert again.data == first.data and again.headers.getlist("Set-Cookie") == []
    assert requests_seen == ["/appeal", "/partials/counters"]  # the poll never reached Flask
    # ... while the page that holds their token is still built for them.
    client.get("/appeal")
    assert requests_seen[-1] == "/appeal"
