"""The groups pages as a visitor meets them: structure, the form's fields, the fee notice."""

from __future__ import annotations

import re

import pytest

from campaign.groups.models import GROUP_KINDS
from campaign.regions import REGIONS


@pytest.mark.parametrize("path", ["/groups", "/groups/affiliate", "/groups/affiliate/thanks"])
def test_page_structure(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1") == 1
    assert 'href="#main"' in html
    assert f'<link rel="canonical" href="http://localhost{path}">' in html
    assert "<script>" not in html and ' style="' not in html and " onclick=" not in html
    assert "hx-on" not in html


def test_every_field_has_a_label(client):
    html = client.get("/groups/affiliate").text
    ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html)
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert set(ids) - {"csrf_token"} <= labelled
    for name in (
        "name",
        "kind",
        "region",
        "town",
        "website",
        "contact_name",
        "contact_email",
        "contact_phone",
        "members",
        "representatives-0-name",
        "representatives-2-email",
        "decided_how",
        "statement",
    ):
        assert f'id="{name}"' in html
    assert 'id="representatives-3-name"' not in html


def test_kinds_and_regions_offered(client):
    html = client.get("/groups/affiliate").text
    region_select = html[html.index('<select aria-describedby="region-hint"') :]
    region_select = region_select[: region_select.index("</select>")]
    offered = re.findall(r'<option (?:selected )?value="([^"]*)"', region_select)
    assert offered == ["", *REGIONS, "national"]
    assert "National (UK-wide)" in region_select
    for slug, (label, _) in GROUP_KINDS.items():
        assert f'value="{slug}">{label}</option>' in html


def test_fee_notice_is_in_the_page_and_htmx_emphasises_it(client):
    html = client.get("/groups/affiliate").text
    notice = re.search(r'<div id="fee-notice"[^>]*>', html).group(0)
    assert "fee-notice--emphasised" not in notice
    assert 'hx-get="/groups/affiliate/fee-notice"' in notice
    assert 'hx-include="#kind, #region"' in notice

    union = client.get(
        "/groups/affiliate/fee-notice?kind=trade-union&region=national",
        headers={"HX-Request": "true"},
    ).text
    assert "fee-notice--emphasised" in union
    assert "your union will be asked to pay the fee of £500 a year" in union
    branch = client.get("/groups/affiliate/fee-notice?kind=trade-union&region=london").text
    assert "fee-notice--emphasised" in branch and "will be asked to pay" not in branch
    other = client.get("/groups/affiliate/fee-notice?kind=clp&region=london").text
    assert "fee-notice--emphasised" not in other and "£500 a year" in other


def test_a_rejected_form_keeps_what_was_typed(post_affiliation):
    html = post_affiliation(website="ftp://x.example.org", kind="trade-union").text
    assert 'value="Leeds Labour Left"' in html
    assert '<option selected value="trade-union">' in html
    assert "We want a democratic Labour left." in html
    assert "fee-notice--emphasised" in html
