"""Error pages: HTML for browsers and htmx, JSON for API clients."""

import re
import time

import itsdangerous.timed
import pytest
import sqlalchemy as sa

from campaign import create_app
from campaign.appeal.models import Supporter
from campaign.extensions import db, limiter
from tests.support.data import form_data
from tests.support.web import csrf_from


@pytest.mark.parametrize("accept", [None, "*/*", "text/html,application/xhtml+xml,*/*;q=0.8"])
def test_missing_page_is_html_for_browsers_and_htmx(client, accept):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/no-such-page", headers={**headers, "HX-Request": "true"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Page not found" in response.text


def test_missing_page_is_json_for_a_client_asking_for_json(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["status"] == 404


def test_boosted_link_to_a_missing_page_is_sent_there_for_real(client):
    # htmx does not swap a 404 in, so it must navigate to the page itself.
    response = client.get("/no-such-page", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Redirect"] == "/no-such-page"
    plain = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert "HX-Redirect" not in plain.headers


# --- every error answers the way it was asked -----------------------------------------

HTMX_SIGN = {
    "HX-Request": "true",
    "HX-Target": "sign-form",
    "HX-Current-URL": "http://localhost/appeal",
}


def assert_fragment(response, *texts: str) -> None:
    """An htmx error answer: a fragment for the form's problem area, no second site in it."""
    assert response.headers["HX-Retarget"] == "find .form-problem"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert "HX-Request" in response.headers.get("Vary", "")
    body = response.text
    assert body.lstrip().startswith('<div class="form-problem" aria-live="assertive">')
    assert '<p role="alert">' in body
    for whole_page_part in ("<html", "<header", "<footer", "<nav", "<h1"):
        assert whole_page_part not in body
    for text in texts:
        assert text in body


def test_htmx_sign_over_the_limit_gets_a_fragment_with_the_retry_time(app, tmp_path):
    limited = create_app(
        {**app.config, "RATELIMIT_ENABLED": True, "APPEAL_SIGN_RATE_LIMIT": "1/minute"},
        instance_path=str(tmp_path / "limited"),
    )
    with limited.app_context():
        limiter.reset()
    client = limited.test_client()
    token = csrf_from(client.get("/appeal").text)
    first = client.post("/appeal", data={"csrf_token": token, **form_data()}, headers=HTMX_SIGN)
    assert first.status_code == 200
    again = client.post(
        "/appeal", data={"csrf_token": token, **form_data(email="b@example.org")}, headers=HTMX_SIGN
    )
    assert again.status_code == 429
    assert 0 < int(again.headers["Retry-After"]) <= 60
    assert_fragment(again, "Too many requests", "try again in about 1 minute")
    # The same refusal to a full-page form post is the full page.
    page = client.post("/appeal", data={"csrf_token": token, **form_data(email="c@example.org")})
    assert page.status_code == 429
    assert "<html" in page.text and "try again in about 1 minute" in page.text
    assert "HX-Retarget" not in page.headers


class _Clock:
    """itsdangerous's clock, moved on: the CSRF token was issued hours ago."""

    def __init__(self, ahead: float):
        self.ahead = ahead

    def time(self) -> float:
        return time.time() + self.ahead


def test_htmx_expired_form_gets_a_fragment_and_a_fresh_token_in_place(app, client, monkeypatch):
    token = csrf_from(client.get("/appeal").text)
    # The form stays open in a tab until its token has expired.
    monkeypatch.setattr(itsdangerous.timed, "time", _Clock(app.config["WTF_CSRF_TIME_LIMIT"] + 60))
    expired = client.post("/appeal", data={"csrf_token": token, **form_data()}, headers=HTMX_SIGN)
    assert expired.status_code == 400
    assert_fragment(expired, "This form had expired", "What you typed is still here")
    fresh = re.search(
        r'<input type="hidden" name="csrf_token" value="([^"]+)" '
        r'hx-swap-oob="outerHTML:#sign-form input\[name=csrf_token\]">',
        expired.text,
    )
    assert fresh, expired.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Supporter)) == 0
    # Pressing the button again (the typed details still in the form) now signs.
    retry = client.post(
        "/appeal", data={"csrf_token": fresh.group(1), **form_data()}, headers=HTMX_SIGN
    )
    assert retry.status_code == 200 and "Now check your e-mail" in retry.text
    # A full-page post of an expired form gets the full page that says so.
    page = client.post("/appeal", data={"csrf_token": token, **form_data(email="b@example.org")})
    assert page.status_code == 400 and "<html" in page.text and "expired" in page.text
    assert "HX-Retarget" not in page.headers


def test_htmx_too_large_gets_a_fragment(client):
    token = csrf_from(client.get("/appeal").text)
    response = client.post(
        "/appeal",
        data={"csrf_token": token, **form_data(reason="x" * 300_000)},
        headers=HTMX_SIGN,
    )
    assert response.status_code == 413
    assert_fragment(response, "Too much data")


def test_htmx_server_error_gets_a_fragment(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/test-boom")
    def boom() -> str:
        raise RuntimeError("a bug")

    client = app.test_client()
    response = client.get("/test-boom", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert_fragment(response, "Something went wrong")
    assert "<html" in client.get("/test-boom").text


def test_method_not_allowed_says_which_methods_are(client):
    response = client.post("/privacy")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}
    assert "POST" not in response.headers["Allow"]
