"""Referral sources: `?source=` and non-code `?ref=` labels are kept, cut, and shown by source."""

from __future__ import annotations

import re

import pytest

from campaign.appeal.services import SOURCE_MAX, clean_source, source_from_query
from tests.support.data import form_data
from tests.support.factories import make_organiser
from tests.support.reads import supporters
from tests.support.web import csrf_from, log_in, visible_text


def sign_from(client, query: str, **overrides):
    """Open the appeal through a link with `query`, then send the form as the page gave it."""
    page = client.get(f"/appeal?{query}")
    assert page.status_code == 200
    source = re.search(
        r'<input id="source" name="source" type="hidden" value="([^"]*)">', page.text
    )
    assert source, "the form carries no source field"
    data = {"csrf_token": csrf_from(page.text), "source": source[1], **form_data(**overrides)}
    return client.post("/appeal", data=data)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("newsletter-2026-11", "newsletter-2026-11"),
        ("  Facebook Ad  ", "facebook-ad"),
        ("<script>alert(1)</script>", "script-alert-1-/script"),
        ("\x00\x07", None),
        ("", None),
        ("é" * 10, None),  # only a small ASCII alphabet is kept
    ],
)
def test_clean_source(app, raw, expected):
    assert clean_source(raw) == expected


def test_absurd_source_is_cut_to_a_safe_length(client, app):
    absurd = "x" * 100_000
    response = sign_from(client, f"source={absurd}")
    assert response.status_code == 303
    [row] = supporters(app)
    assert row.source == "x" * SOURCE_MAX


def test_absurd_posted_source_is_cut_too(client, app):
    token = csrf_from(client.get("/appeal").text)
    response = client.post(
        "/appeal", data={"csrf_token": token, "source": "y" * 5000 + "\n<b>", **form_data()}
    )
    assert response.status_code == 303
    [row] = supporters(app)
    assert row.source == "y" * SOURCE_MAX


def test_source_and_ref_labels_are_recorded(client, app):
    assert sign_from(client, "source=Leaflet_A", email="a@example.org").status_code == 303
    assert sign_from(client, "ref=newsletter", email="b@example.org").status_code == 303
    rows = {r.email: r for r in supporters(app)}
    assert rows["a@example.org"].source == "leaflet_a"
    assert rows["b@example.org"].source == "newsletter"
    assert rows["b@example.org"].referred_by is None


def test_a_referral_code_in_ref_is_a_referral_not_a_source(app):
    with app.test_request_context():
        assert source_from_query(None, "abcdefgh") is None
        assert source_from_query(None, "twitter") == "twitter"
        assert source_from_query("Mail", "abcdefgh") == "mail"


def test_dashboard_shows_signups_by_source(app, client):
    from campaign.appeal.services import signups_by_source

    sign_from(client, "source=leaflet", email="a@example.org")
    sign_from(client, "source=leaflet", email="b@example.org")
    sign_from(client, "", email="c@example.org")
    with app.app_context():
        assert signups_by_source() == [("leaflet", 2, 0), (None, 1, 0)]
    make_organiser(app, "viewer@example.org", "organiser")
    log_in(client, "viewer@example.org")
    text = visible_text(client.get("/organisers/").text)
    assert "Sign-ups by source" in text
    assert "leaflet 2 0" in text and "direct (no source) 1 0" in text
