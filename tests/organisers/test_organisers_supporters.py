"""Supporters: search, filters, keyset pages, one supporter's page, erasure by admins."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.organisers.supporters import BadCursor, decode_cursor
from campaign.tally import count_signature, read_tallies
from tests.support.factories import ADMIN_EMAIL, add_supporter
from tests.support.reads import audit_rows
from tests.support.web import token


def _ids_on(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/organisers/supporters/(\d+)"', html)]


def test_keyset_pages_return_every_supporter_exactly_once(app, organiser_client):
    start = dt.datetime(2026, 1, 1)
    with app.app_context():
        expected = set()
        for n in range(250):
            # Pairs share a created_at, so the id must break ties.
            expected.add(add_supporter(created_at=start + dt.timedelta(minutes=n // 2)).id)
        db.session.commit()
    seen: list[int] = []
    url = "/organisers/supporters"
    pages = 0
    while url:
        html = organiser_client.get(url).text
        ids = _ids_on(html)
        assert len(ids) <= 50
        seen.extend(ids)
        pages += 1
        match = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert pages == 5
    assert len(seen) == 250 and set(seen) == expected


def test_search_by_name_email_and_postcode(app, organiser_client):
    with app.app_context():
        ada = add_supporter(
            first_name="Ada", last_name="Lovelace", email="Ada.L@Example.org", postcode="N1 9GU"
        )
        add_supporter(first_name="Bob", last_name="Lovell", postcode="M1 1AE", region="north-west")
        add_supporter(first_name="Cy", last_name="Other", postcode="SW1A 2AA")
        db.session.commit()
        ada_id = ada.id

    def names(query):
        html = organiser_client.get("/organisers/supporters", query_string={"q": query}).text
        return sorted(re.findall(r">(\w+ \w+)</a></td>", html))

    assert names("lovelace") == ["Ada Lovelace"]
    assert names("LOVE") == ["Ada Lovelace", "Bob Lovell"]
    assert names("ada lovelace") == ["Ada Lovelace"]
    assert names("ada.l@example.org") == ["Ada Lovelace"]
    assert names("n19gu") == ["Ada Lovelace"]
    assert names("M1") == ["Bob Lovell"]
    assert names("nobody") == []
    assert ada_id


def test_filters(app, admin_client):
    organiser_client = admin_client  # the filters reach supporters only admins are shown
    with app.app_context():
        add_supporter(
            first_name="Wyn",
            last_name="Wales",
            region="wales",
            postcode="CF10 1AA",
            labour_member="lapsed",
            created_at=dt.datetime(2026, 2, 1),
        )
        add_supporter(
            first_name="Una",
            last_name="Unconfirmed",
            confirmed_at=None,
            labour_member=None,
            created_at=dt.datetime(2026, 3, 1),
        )
        add_supporter(
            first_name="Out",
            last_name="Side",
            region=None,
            postcode=None,
            country="France",
            bulletin_consent=False,
            created_at=dt.datetime(2026, 4, 1),
        )
        db.session.commit()

    def names(**args):
        html = organiser_client.get("/organisers/supporters", query_string=args).text
        return sorted(re.findall(r">(\w+ \w+)</a></td>", html))

    assert names(region="wales") == ["Wyn Wales"]
    assert names(region="outside-uk") == ["Out Side"]
    assert names(confirmed="no") == ["Una Unconfirmed"]
    assert names(consent="no") == ["Out Side", "Una Unconfirmed"]
    assert names(member="lapsed") == ["Wyn Wales"]
    assert names(member="unknown") == ["Una Unconfirmed"]
    assert names(since="2026-02-15", until="2026-03-31") == ["Una Unconfirmed"]


def test_htmx_filter_gets_only_the_results(organiser_client):
    response = organiser_client.get(
        "/organisers/supporters?region=london", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="supporter-results"')
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(
    "query",
    [
        "region=atlantis",
        "confirmed=maybe",
        "member=tory",
        "since=not-a-date",
        "since=2026-05-01&until=2026-04-01",
        "after=garbage!!",
        "after=MjAyNi0wMS0wMXxub3RhbnVtYmVy",
        "q=" + "x" * 300,
    ],
)
def test_nonsense_filters_are_400(organiser_client, query):
    response = organiser_client.get(f"/organisers/supporters?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.text


def test_supporter_page(app, organiser_client):
    with app.app_context():
        person = add_supporter(
            first_name="Ada", last_name="Lovelace", trade_union="Unite", reason="For democracy"
        )
        db.session.commit()
        person_id = person.id
    html = organiser_client.get(f"/organisers/supporters/{person_id}").text
    assert "<h1>Ada Lovelace</h1>" in html
    assert "Unite" in html and "For democracy" in html
    assert "Erase this supporter" not in html  # organisers do not erase
    assert organiser_client.get("/organisers/supporters/999999").status_code == 404


def test_admin_erases_a_supporter_after_confirming(app, admin_client):
    with app.app_context():
        person = add_supporter(first_name="Ada", last_name="Lovelace")
        count_signature(person, +1)
        db.session.commit()
        person_id = person.id
    page = admin_client.get(f"/organisers/supporters/{person_id}")
    assert "Erase this supporter" in page.text
    confirm = admin_client.get(f"/organisers/supporters/{person_id}/erase")
    assert confirm.status_code == 200 and "Erase for good" in confirm.text
    with app.app_context():
        assert db.session.get(Supporter, person_id) is not None  # a GET changes nothing
    response = admin_client.post(
        f"/organisers/supporters/{person_id}/erase",
        data={"csrf_token": token(admin_client), "reason": "Data request of 1 March"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Supporter, person_id) is None
        assert read_tallies("signatures").get("signatures") == 0
    [record] = audit_rows(app, "supporter.erased")
    assert record.actor == ADMIN_EMAIL and record.target == f"supporter:{person_id}"
    assert record.details == {"reason": "Data request of 1 March", "was_counted": True}
    assert "Lovelace" not in str(record.details) and "example.org" not in str(record.details)


def test_organiser_cannot_erase(app, organiser_client):
    with app.app_context():
        person_id = add_supporter().id
        db.session.commit()
    response = organiser_client.post(
        f"/organisers/supporters/{person_id}/erase", data={"csrf_token": token(organiser_client)}
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Supporter)) == 1
    assert audit_rows(app, "supporter.erased") == []


def test_supporter_ids_beyond_the_database_are_404(client):
    assert client.get("/organisers/supporters/99999999999999999999999").status_code in (302, 404)


def test_supporter_cursor_with_a_huge_id_is_refused():
    cursor = base64.urlsafe_b64encode(b"2020-01-01T00:00:00|" + b"9" * 25).decode()
    with pytest.raises(BadCursor):
        decode_cursor(cursor)
