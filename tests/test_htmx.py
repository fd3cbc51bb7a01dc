"""Page or fragment by the HX-Request header, and boosted navigation gets whole pages."""

import pytest

from campaign.htmx import render_page_or_fragment


@pytest.fixture
def page_client(app, tmp_path):
    # One route serving a page that includes its fragment, as every feature's views do.
    app.jinja_loader.searchpath.append(str(tmp_path))
    (tmp_path / "_thing.html").write_text("<p>fragment</p>")
    (tmp_path / "thing.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Page</h1>'
        '{% include "_thing.html" %}{% endblock %}'
    )
    app.add_url_rule(
        "/_test/thing", "thing", lambda: render_page_or_fragment("thing.html", "_thing.html")
    )
    return app.test_client()


def test_htmx_request_gets_the_fragment(page_client):
    response = page_client.get("/_test/thing", headers={"HX-Request": "true"})
    assert response.text == "<p>fragment</p>"
    assert "HX-Request" in response.headers["Vary"]


def test_plain_request_gets_the_page(page_client):
    response = page_client.get("/_test/thing")
    assert "<h1>Page</h1>" in response.text and "<p>fragment</p>" in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_boosted_navigation_gets_the_whole_page(page_client):
    # hx-boost on <body> sends HX-Request too, and swaps the answer in as the whole body.
    response = page_client.get("/_test/thing", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<h1>Page</h1>" in response.text and "<p>fragment</p>" in response.text
