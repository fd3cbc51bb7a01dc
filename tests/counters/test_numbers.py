"""The public numbers page: counters, SVG charts with text alternatives, recent signers."""

import datetime as dt
import re

from campaign.extensions import db
from campaign.models import utcnow
from tests.support.factories import approve, group, signed


def test_numbers_page_has_accessible_charts_and_tables(app, client):
    today = utcnow().replace(hour=12)
    with app.app_context():
        signed(5, at=today, region="london")
        signed(2, at=today - dt.timedelta(days=3), region="north-east")
        approve(group("momentum-branch", "london"))
        db.session.commit()
    response = client.get("/numbers")
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1") == 1
    assert 'id="counters"' in html

    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.DOTALL)
    assert len(svgs) == 2
    for svg in svgs:
        assert 'role="img"' in svg and "aria-labelledby=" in svg
        assert "<title id=" in svg and "<desc id=" in svg
        assert "style=" not in svg  # the CSP allows no style attributes
    regions_svg, days_svg = svgs
    # Largest region first, each bar labelled with its value.
    labels = re.findall(r'class="chart__label"[^>]*>([^<]+)<', regions_svg)
    assert labels[:2] == ["London", "North East"]
    assert "<title>London: 5</title>" in regions_svg
    assert len(re.findall(r'<rect class="chart__bar"', days_svg)) == 30
    assert f"<title>{today.day} {today:%b}: 5</title>" in days_svg
    three_days_ago = today - dt.timedelta(days=3)
    assert f"<title>{three_days_ago.day} {three_days_ago:%b}: 2</title>" in days_svg

    # The same figures as tables.
    assert re.search(
        r'<th scope="row">London</th><td class="num">5</td><td class="num">1</td>', html
    )
    assert re.search(r'<th scope="row">North East</th><td class="num">2</td>', html)
    assert "<caption>Signatures confirmed per day" in html


def test_bars_are_proportional(app, client):
    with app.app_context():
        signed(4, region="wales")
        signed(2, region="scotland")
        db.session.commit()
    html = client.get("/numbers").text
    bar = r'<rect class="chart__bar" x="[\d.]+" y="[\d.]+" width="([\d.]+)"'
    bar += r"[^>]*><title>(\w+):"
    width = {name: float(w) for w, name in re.findall(bar, html)}
    assert width["Wales"] > 0
    assert width["Wales"] == 2 * width["Scotland"]
    assert width["London"] == 0


def test_recent_signers_show_first_name_and_area_of_those_who_chose_only(app, client):
    now = utcnow()
    with app.app_context():
        signed(
            1,
            at=now - dt.timedelta(minutes=5),
            first_name="Rosa",
            last_name="Luxemburg",
            show_publicly=True,
            region="scotland",
        )
        signed(
            1,
            at=now - dt.timedelta(minutes=1),
            first_name="Keir",
            last_name="Hidden",
            show_publicly=False,
        )
        signed(
            1,
            at=now,
            first_name="Tony",
            last_name="Benn",
            show_publicly=True,
            region=None,
            country="France",
        )
        db.session.commit()
    html = client.get("/numbers").text
    ticker = re.search(r'<ol class="ticker">.*?</ol>', html, re.DOTALL).group(0)
    names = re.findall(r'class="ticker__name">([^<]+)<', ticker)
    assert names == ["Tony", "Rosa"]  # newest first
    assert "Scotland" in ticker and "Outside the UK" in ticker
    for private in ("Keir", "Hidden", "Luxemburg", "Benn", "@", "France"):
        assert private not in ticker
    assert "Keir" not in html


def test_numbers_page_with_no_signatures_yet(client):
    html = client.get("/numbers").text
    assert "Nobody who chose to be shown has signed yet." in html
    assert "<svg" in html
