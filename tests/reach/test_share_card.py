"""The share card: a real 1200 × 630 PNG with the title and the count, redrawn by steps;
Open Graph and Twitter tags on every public page."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from campaign.extensions import db
from tests.support.factories import signed


def card(client):
    response = client.get("/share/card.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "Set-Cookie" not in response.headers
    return response


def test_the_card_is_a_1200_by_630_png_that_decodes(client):
    response = card(client)
    image = Image.open(io.BytesIO(response.data))
    image.verify()  # the whole file decodes
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.size == (1200, 630)
    assert image.getpixel((5, 5)) == (0xB3, 0x00, 0x1B)  # the campaign's colour
    assert response.headers["ETag"] and "public" in response.headers["Cache-Control"]
    again = client.get("/share/card.png", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_card_is_redrawn_when_the_count_moves_by_a_step(app, client):
    app.config["SHARE_CARD_STEP"] = 5
    empty = card(client).data
    with app.app_context():
        signed(3)
        db.session.commit()
    assert card(client).data == empty  # less than a step: the cached card
    with app.app_context():
        signed(2)
        db.session.commit()
    moved = card(client).data
    assert moved != empty
    assert app.extensions["share_cards"]["card"].count == 5


@pytest.mark.parametrize(
    "path", ["/", "/appeal", "/programme", "/news", "/groups", "/numbers", "/share", "/privacy"]
)
def test_every_public_page_has_open_graph_and_twitter_cards(client, path):
    html = client.get(path).text
    tags = dict(
        re.findall(r'<meta (?:property|name)="((?:og|twitter):[a-z:_]+)" content="([^"]*)"', html)
    )
    assert tags["og:image"] == "http://localhost/share/card.png"
    assert tags["og:image:width"] == "1200" and tags["og:image:height"] == "630"
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["twitter:image"] == tags["og:image"]
    assert (
        tags["og:title"]
        and tags["og:description"]
        and tags["og:url"].startswith("http://localhost/")
    )
    assert tags["og:image:alt"].endswith("the live count of signatures")
