"""The counters partial and /api/stats.json are cacheable by any proxy: ETag, 304, no cookie."""

import re

import pytest

from campaign.extensions import db
from tests.support.factories import approve, group, signed

CROWD_PATHS = ["/partials/counters", "/api/stats.json"]


@pytest.mark.parametrize("path", CROWD_PATHS)
def test_cache_control_is_public_for_one_poll_interval(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=10, stale-while-revalidate=20"
    assert re.fullmatch(r'"[0-9a-f]{16,}"', response.headers["ETag"])


@pytest.mark.parametrize("path", CROWD_PATHS)
def test_poll_interval_comes_from_config(app, client, path):
    app.config["COUNTERS_POLL_SECONDS"] = 4
    response = client.get(path)
    assert response.headers["Cache-Control"] == "public, max-age=4, stale-while-revalidate=8"
    if path == "/partials/counters":
        assert 'hx-trigger="every 4s"' in response.text


@pytest.mark.parametrize("path", CROWD_PATHS)
def test_same_etag_gives_304_and_a_change_gives_a_new_etag(app, client, path):
    first = client.get(path)
    etag = first.headers["ETag"]
    assert client.get(path).headers["ETag"] == etag

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]

    with app.app_context():
        signed(1)
        db.session.commit()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert client.get(path, headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("path", [*CROWD_PATHS, "/api/groups.json"])
@pytest.mark.parametrize("refresh_remember_cookie", [False, True])
def test_no_cookie_is_set_or_varied_on_even_for_a_visitor_with_a_session(
    app, client, path, refresh_remember_cookie
):
    # Flask-Login reads (and with this setting writes) the session after every request.
    app.config["REMEMBER_COOKIE_REFRESH_EACH_REQUEST"] = refresh_remember_cookie
    client.get("/organisers/login")  # a real session cookie, as a visitor would carry
    assert client.get_cookie("session") is not None
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")


def test_partial_polls_itself_and_announces_politely(client):
    html = client.get("/partials/counters").text
    root = re.search(r'<div id="counters"[^>]*>', html).group(0)
    assert 'hx-get="/partials/counters?was=' in root
    assert 'hx-trigger="every 10s"' in root
    assert 'hx-target="this"' in root and 'hx-swap="outerHTML"' in root
    assert re.search(r'<p id="counters-status"[^>]*aria-live="polite"', html)
    assert 'hx-swap-oob="innerHTML"' in html  # the live region itself stays in the page
    assert "csrf" not in html


def test_partial_shows_totals_kinds_and_the_goal(app, client):
    with app.app_context():
        signed(12)
        for _ in range(4):
            approve(group("momentum-branch"))
        approve(group("clp"))
        db.session.commit()
    html = client.get("/partials/counters").text
    assert re.search(r">12</strong> <span[^>]*>people have signed<", html)
    assert re.search(r">5</strong> <span[^>]*>groups<", html)
    assert re.search(r">4</strong> <span[^>]*>Momentum branches<", html)
    assert re.search(r">1</strong> <span[^>]*>CLP or branch Labour Party<", html)
    assert "trade union" not in html  # kinds with none are not listed
    assert re.search(r'<progress[^>]*max="100"[^>]*value="12"', html)
    assert "Next milestone: <strong>The first 100</strong>" in html
    assert "88 to go" in html


def test_changed_numbers_are_marked_and_announced_unchanged_ones_are_not(app, client):
    first = client.get("/partials/counters").text
    next_url = re.search(r'hx-get="([^"]+)"', first).group(1).replace("&amp;", "&")

    unchanged = client.get(next_url).text
    assert "counter--changed" not in unchanged
    assert re.search(r'<p id="counters-status"[^>]*></p>', unchanged)

    with app.app_context():
        signed(3)
        db.session.commit()
    changed = client.get(next_url).text
    assert re.search(r'class="counter counter--main counter--changed"><strong[^>]*>3<', changed)
    assert changed.count("counter--changed") == 1
    assert "Now 3 people have signed." in changed


def test_malformed_was_is_ignored_not_an_error(client):
    for was in ("abc", "1-2", "9" * 400, "١-٢"):
        response = client.get("/partials/counters", query_string={"was": was})
        assert response.status_code == 200
        assert "counter--changed" not in response.text


def test_home_page_includes_the_live_counters(app, client):
    with app.app_context():
        signed(7)
        db.session.commit()
    html = client.get("/").text
    assert 'id="counters"' in html and 'hx-get="/partials/counters?was=7-0' in html
    assert re.search(r">7</strong> <span[^>]*>people have signed<", html)
    # On the page the live region is plain; only polled responses swap it out of band.
    assert re.search(r'<p id="counters-status"[^>]*aria-live="polite"[^>]*></p>', html)
    assert "hx-swap-oob" not in html
