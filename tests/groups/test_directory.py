"""The public directory: only approved groups, counts per kind, filters, search, htmx."""

from __future__ import annotations

import re

import pytest

from campaign.extensions import db
from campaign.groups.models import Group
from campaign.groups.services import approve_group, confirm_group_contact

ORGANISER = "organiser@campaign.example"


@pytest.fixture
def approve(app, make_group):
    """Register, confirm and approve a group; returns its id."""

    def make(name: str, **overrides) -> int:
        local_part = re.sub(r"\W", "", name).lower()
        overrides.setdefault("contact_email", f"{local_part}@example.org")
        group_id = make_group(name=name, **overrides)
        with app.app_context():
            group = db.session.get(Group, group_id)
            confirm_group_contact(group)
            approve_group(group, by=ORGANISER)
            db.session.commit()
        return group_id

    return make


@pytest.fixture
def directory(approve, make_group):
    """A few approved groups of several kinds and regions, and one pending."""
    approve("Leeds Labour Left", kind="local-left-group", region="yorkshire", town="Leeds")
    approve("Momentum Sheffield", kind="momentum-branch", region="yorkshire", town="Sheffield")
    approve(
        "Momentum Hackney", kind="momentum-branch", region="london", town="Hackney", website=None
    )
    approve(
        "Bakers Union",
        kind="trade-union",
        region="national",
        town=None,
        website="http://bakers.example.org/about",
    )
    make_group(name="Pending Group", kind="momentum-branch", contact_email="pending@example.org")


def names(html: str) -> list[str]:
    return re.findall(r'class="group-card__name">([^<]+)<', html)


def test_lists_only_approved_groups_in_name_order_without_contact_details(client, directory):
    response = client.get("/groups")
    assert response.status_code == 200
    html = response.text
    assert names(html) == [
        "Bakers Union",
        "Leeds Labour Left",
        "Momentum Hackney",
        "Momentum Sheffield",
    ]
    assert "Pending Group" not in html
    assert "Momentum branch</span> · Sheffield, Yorkshire and the Humber" in html
    assert "Trade union body</span> · UK-wide" in html
    assert '<a href="http://bakers.example.org/about" rel="nofollow noopener">' in html
    for private in ("@example.org", "Rosa Contact", "0113", "Ada Rep", "AGM"):
        assert private not in html
    assert html.count("<h1") == 1


def test_counts_per_kind_on_top(client, directory):
    html = client.get("/groups").text
    top = html[html.index('class="group-counts"') : html.index('class="group-filters"')]
    text = " ".join(re.sub(r"<[^>]+>", " ", top).split())
    assert "4 groups affiliated" in text
    assert "1 local Labour left group · 2 Momentum branches · 1 trade union body" in text


def test_empty_directory_says_so(client):
    html = client.get("/groups").text
    assert "0 groups" in html and "No groups are listed yet" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=momentum-branch", ["Momentum Hackney", "Momentum Sheffield"]),
        ("region=yorkshire", ["Leeds Labour Left", "Momentum Sheffield"]),
        ("region=national", ["Bakers Union"]),
        ("kind=momentum-branch&region=london", ["Momentum Hackney"]),
        ("q=momentum", ["Momentum Hackney", "Momentum Sheffield"]),
        ("q=LEEDS+labour", ["Leeds Labour Left"]),
        ("q=sheffield+momentum", []),  # the words in the name's order
        ("q=%25", ["Bakers Union", "Leeds Labour Left", "Momentum Hackney", "Momentum Sheffield"]),
        ("kind=clp", []),
        (
            "kind=&region=&q=",
            ["Bakers Union", "Leeds Labour Left", "Momentum Hackney", "Momentum Sheffield"],
        ),
    ],
)
def test_filters_and_search_give_the_same_results_as_page_and_fragment(
    client, directory, query, expected
):
    page = client.get(f"/groups?{query}")
    fragment = client.get(f"/groups?{query}", headers={"HX-Request": "true"})
    for response in (page, fragment):
        assert response.status_code == 200
        assert "HX-Request" in response.headers["Vary"]
        assert names(response.text) == expected
    assert page.text.startswith("<!doctype html>") and "<h1" in page.text
    assert "<html" not in fragment.text and "<h1" not in fragment.text
    if not expected:
        assert "No approved groups match" in page.text


def test_page_keeps_the_chosen_filters_selected(client, directory):
    html = client.get("/groups?kind=momentum-branch&region=london&q=hack").text
    assert '<option value="momentum-branch" selected>' in html
    assert '<option value="london" selected>' in html
    assert 'name="q" value="hack"' in html


def test_filter_form_updates_the_list_with_htmx_and_pushes_the_url(client):
    html = client.get("/groups").text
    form = re.search(r'<form class="group-filters"[^>]*>', html).group(0)
    assert 'method="get"' in form and 'action="/groups"' in form  # works without JavaScript
    assert 'hx-get="/groups"' in form and 'hx-target="#group-results"' in form
    assert 'hx-push-url="true"' in form
    assert "change from:#group-kind" in form and "input changed delay:" in form


def test_a_boosted_navigation_gets_the_whole_page(client, directory):
    response = client.get("/groups", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.text.startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=secret-society", "There is no such kind of group"),
        ("region=atlantis", "There is no such region"),
        ("q=" + "x" * 101, "at most 100 characters"),
        ("q=a%00b", "control characters"),
        ("page=0", "page number is not valid"),
        ("page=abc", "page number is not valid"),
        ("page=%D9%A1", "page number is not valid"),  # an Arabic-Indic digit one
        ("page=99", "There is no page 99"),
    ],
)
def test_invalid_filters_get_400_with_a_clear_message(client, directory, query, message):
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(f"/groups?{query}", headers=headers)
        assert response.status_code == 400
        assert message in response.text
        assert names(response.text) == []
        assert 'role="alert"' in response.text


def test_many_groups_are_paginated_keeping_the_filters(app, client, approve):
    app.config["GROUPS_PER_PAGE"] = 2
    for n in range(5):
        approve(f"Momentum Branch {n}", kind="momentum-branch")
    approve("Other Group", kind="other")
    first = client.get("/groups?kind=momentum-branch").text
    assert names(first) == ["Momentum Branch 0", "Momentum Branch 1"]
    assert "page 1 of 3" in first
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "kind=momentum-branch" in next_link and "page=2" in next_link
    assert f'hx-get="{next_link.replace("&", "&amp;")}"' in first
    last = client.get("/groups?kind=momentum-branch&page=3", headers={"HX-Request": "true"})
    assert names(last.text) == ["Momentum Branch 4"]
    assert 'rel="next"' not in last.text and 'rel="prev"' in last.text
