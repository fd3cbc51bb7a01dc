"""Error pages: HTML for browsers and htmx, JSON for API clients."""

import pytest


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
