"""Through the appeal's and groups' own services, every change moves the live counters."""

import re

import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.appeal.services import (
    SignatureDetails,
    confirm_signature,
    erase_supporter,
    sign_appeal,
)
from campaign.extensions import db
from campaign.groups.services import approve_group, withdraw_group
from tests.support.factories import group


def shown(client) -> int:
    html = client.get("/partials/counters").text
    if "Be one of the first" in html:  # a young campaign's invitation stands for zero
        return 0
    return int(re.search(r">([\d,]+)</strong> <span[^>]*>(?:people have|person has)", html)[1])


def test_sign_confirm_erase_through_the_appeal_services(app, client):
    details = SignatureDetails(
        email="rosa@example.org", first_name="Rosa", last_name="L", postcode="EH1 1YZ"
    )
    with app.app_context():
        sign_appeal(details)
        db.session.commit()
    assert shown(client) == 0  # pending until confirmed

    with app.app_context():
        supporter = db.session.scalars(sa.select(Supporter)).one()
        assert confirm_signature(supporter)
        assert not confirm_signature(supporter)  # twice is harmless
        db.session.commit()
    assert shown(client) == 1
    stats = client.get("/api/stats.json").get_json()
    assert {r["region"]: r["signatures"] for r in stats["regions"]}["scotland"] == 1

    with app.app_context():
        assert erase_supporter(db.session.scalars(sa.select(Supporter)).one())
        db.session.commit()
    assert shown(client) == 0
    assert client.get("/api/stats.json").get_json()["signatures"] == 0


def test_approve_and_withdraw_through_the_groups_services(app, client):
    with app.app_context():
        branch = group("momentum-branch", "london")
        approve_group(branch, by="organiser@example.org")
        db.session.commit()
    html = client.get("/partials/counters").text
    # One group of one kind: named once by its kind, not "1 group 1 Momentum branch".
    assert not re.search(r">1</strong> <span[^>]*>group<", html)
    assert re.search(r">1</strong> <span[^>]*>Momentum branch<", html)
    assert client.get("/api/groups.json").get_json()["count"] == 1

    with app.app_context():
        withdraw_group(db.session.merge(branch))
        db.session.commit()
    html = client.get("/partials/counters").text
    assert "groups<" not in html  # no group yet: no "0 groups" either
    assert "Momentum branch" not in html
    assert client.get("/api/groups.json").get_json()["count"] == 0
