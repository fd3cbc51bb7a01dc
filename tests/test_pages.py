"""The public content pages render the campaign's texts."""

import re

import pytest

from campaign.content import current_content


@pytest.mark.parametrize("path", ["/", "/programme", "/news", "/privacy", "/news/tag/momentum"])
def test_page_has_one_h1_skip_link_and_meta(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1") == 1
    assert 'href="#main"' in html and 'id="main"' in html
    assert 'property="og:title"' in html and 'name="twitter:card"' in html
    assert f'<link rel="canonical" href="http://localhost{path}">' in html
    assert "<script>" not in html and " onclick=" not in html


def test_home_shows_headline_themes_and_latest_news(client, app):
    html = client.get("/").text
    with app.app_context():
        content = current_content()
        newest = content.news[0]
    for theme in ("Democracy", "Class struggle", "Internationalism"):
        assert theme in html
    assert 'href="/programme#democracy"' in html
    assert newest.title.replace("'", "&#39;") in html or newest.title in html


def test_programme_has_contents_and_anchored_themes(client):
    html = client.get("/programme").text
    anchors = re.findall(r'<section class="programme-theme" id="([a-z-]+)"', html)
    assert anchors == ["democracy", "class-struggle", "internationalism"]
    for anchor in anchors:
        assert f'href="#{anchor}"' in html
    assert "open selection" in html  # a point of the first theme
    assert html.count("<li>") >= 15  # the themes' points are lists


def test_news_index_lists_posts_newest_first_with_byline(client, app):
    app.config["NEWS_PER_PAGE"] = 100
    html = client.get("/news").text
    dates = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">', html)
    assert len(dates) >= 10
    assert dates == sorted(dates, reverse=True)
    assert 'class="byline"' in html and " · " in html


def test_news_is_paginated(client, app):
    app.config["NEWS_PER_PAGE"] = 5
    with app.app_context():
        total = len(current_content().news)
    first = client.get("/news").text
    assert first.count('class="news-item"') == 5
    assert 'rel="next"' in first
    last_page = -(-total // 5)
    last = client.get(f"/news?page={last_page}").text
    assert last.count('class="news-item"') == total - 5 * (last_page - 1)
    assert client.get(f"/news?page={last_page + 1}").status_code == 404
    assert client.get("/news?page=abc").status_code == 404


def test_news_post_and_tag_pages(client, app):
    with app.app_context():
        post = current_content().news[0]
    html = client.get(f"/news/{post.slug}").text
    assert post.standfirst.replace("'", "&#39;")[:40] in html or post.standfirst[:40] in html
    assert 'property="og:type" content="article"' in html
    tag = post.tags[0]
    tagged = client.get(f"/news/tag/{tag}").text
    assert f"/news/{post.slug}" in tagged


@pytest.mark.parametrize("path", ["/news/no-such-post", "/news/tag/no-such-tag", "/nowhere"])
def test_unknown_pages_are_styled_404s(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text and "<h1" in response.text


def test_privacy_page(client):
    html = client.get("/privacy").text
    assert "Privacy notice" in html and "erase" in html.lower()


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_security_headers_and_pinned_htmx(client, app):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    # The htmx file itself, not the whole CDN (where anyone can publish a script).
    assert f"script-src 'self' {app.config['HTMX_SCRIPT_URL']};" in csp
    assert "script-src 'self' https://cdn.jsdelivr.net/npm/htmx.org@" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert response.headers["Permissions-Policy"]
    html = response.text
    assert re.search(
        r'<script src="https://cdn\.jsdelivr\.net/npm/htmx\.org@\d+\.\d+\.\d+/dist/htmx\.min\.js" '
        r'integrity="sha384-[A-Za-z0-9+/=]+" crossorigin="anonymous"',
        html,
    )


def test_self_hosted_htmx_is_configurable(app, client):
    app.config["HTMX_SCRIPT_URL"] = "/static/vendor/htmx.min.js"
    html = client.get("/").text
    assert '<script src="/static/vendor/htmx.min.js"' in html


def test_colours_come_from_campaign_toml(client, app):
    css = client.get("/colours.css")
    assert css.mimetype == "text/css"
    with app.app_context():
        primary = current_content().campaign["colours"]["primary"]
    assert f"--primary: {primary};" in css.text


def test_server_error_page_is_styled_and_rolls_back(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text


def test_news_page_number_in_other_digits_is_a_404(client):
    assert client.get("/news?page=²").status_code == 404


def test_query_args_drop_url_for_own_names(app):
    with app.test_request_context("/?q=leeds&endpoint=x&_external=1&_anchor=y"):
        assert app.jinja_env.globals["query_args"]() == {"q": "leeds"}
