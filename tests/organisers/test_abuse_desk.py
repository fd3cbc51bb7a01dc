"""The abuse desk: a flood from one client is held, seen, previewed and bulk-invalidated
(or released) with the counts right and an audit entry, by a moderator only.

The attacker: a script signing forty made-up names from one address on a throw-away
domain, to inflate the count. The careless moderator: one who previews a set and clicks
after it has grown.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.security import hash_ip
from tests.support.factories import confirm_everyone, make_organiser
from tests.support.reads import audit_rows, supporters, tallies
from tests.support.web import FLOOD, csrf_from, log_in, sign_from

MODERATOR_EMAIL = "moderator@campaign.example"


@pytest.fixture
def flood(app) -> str:
    """40 sign-ups from one client at junk.example, 3 real ones elsewhere; all confirmed."""
    app.config["APPEAL_HOLD_AFTER"] = 30
    for n in range(40):
        sign_from(app, FLOOD, f"bot{n}@junk.example")
    for n in range(3):
        sign_from(app, f"192.0.2.{n}", f"real{n}@example.org")
    confirm_everyone(app)
    with app.app_context():
        return hash_ip(FLOOD)


@pytest.fixture
def moderator(app, client):
    make_organiser(app, MODERATOR_EMAIL, "moderator")
    assert log_in(client, MODERATOR_EMAIL).status_code == 302
    return client


def test_a_flood_is_held_beyond_the_threshold_and_not_counted(app, flood):
    held = [s for s in supporters(app) if s.held_at is not None]
    assert len(held) == 10
    assert tallies(app)["signatures"] == 33  # 30 from the flood slipped in before the hold


def test_the_desk_shows_the_flood_by_client_and_domain_without_names(app, moderator, flood):
    page = moderator.get("/organisers/abuse/?hours=24")
    assert page.status_code == 200
    assert flood[:12] in page.text and FLOOD not in page.text
    assert "junk.example" in page.text
    assert "10</strong> sign-ups held" in page.text
    assert "bot1@junk.example" not in page.text and "Lovelace" not in page.text


def test_a_flood_is_previewed_then_invalidated_with_counts_and_audit(app, moderator, flood):
    preview = moderator.get(f"/organisers/abuse/preview?hours=24&client={flood}&action=invalidate")
    assert preview.status_code == 200
    assert "deletes</strong> 40 sign-ups" in preview.text
    assert "changes by <strong>-30</strong>" in preview.text
    assert len(supporters(app)) == 43  # a preview changes nothing

    fingerprint = re.search(r'name="fingerprint"[^>]*value="([0-9a-f]+)"', preview.text)
    assert fingerprint, preview.text
    done = moderator.post(
        "/organisers/abuse/apply",
        data={
            "csrf_token": csrf_from(preview.text),
            "hours": "24",
            "client": flood,
            "action": "invalidate",
            "fingerprint": fingerprint.group(1),
        },
    )
    assert done.status_code == 303
    assert (
        "Invalidated 40 sign-ups; the count changed by -30"
        in moderator.get(done.headers["Location"]).text
    )
    assert sorted(s.email for s in supporters(app)) == [f"real{n}@example.org" for n in range(3)]
    counts = tallies(app)
    assert counts["signatures"] == 3
    assert sum(v for k, v in counts.items() if k.startswith("signatures:region:")) == 3
    assert sum(v for k, v in counts.items() if k.startswith("signatures:day:")) == 3
    with app.app_context():
        recipients = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert not [r for r in recipients if r.endswith("@junk.example")]
    [record] = audit_rows(app, "signups.invalidated")
    assert record.actor == MODERATOR_EMAIL
    assert record.details["rows"] == 40 and record.details["count_change"] == -30
    assert FLOOD not in str(record.details) and FLOOD not in (record.target or "")
    # The public numbers agree.
    assert moderator.get("/api/stats.json").get_json()["signatures"] == 3


def test_releasing_the_held_ones_counts_the_confirmed(app, moderator, flood):
    preview = moderator.get(
        f"/organisers/abuse/preview?hours=24&client={flood}&held=y&action=release"
    )
    assert "changes by <strong>+10</strong>" in preview.text
    fingerprint = re.search(r'name="fingerprint"[^>]*value="([0-9a-f]+)"', preview.text)
    response = moderator.post(
        "/organisers/abuse/apply",
        data={
            "csrf_token": csrf_from(preview.text),
            "hours": "24",
            "client": flood,
            "held": "y",
            "action": "release",
            "fingerprint": fingerprint.group(1),
        },
    )
    assert response.status_code == 303
    assert tallies(app)["signatures"] == 43
    assert [s for s in supporters(app) if s.held_at is not None] == []
    assert len(audit_rows(app, "signups.released")) == 1


def test_a_set_that_grew_after_the_preview_is_not_touched(app, moderator, flood):
    preview = moderator.get(f"/organisers/abuse/preview?hours=24&client={flood}&action=invalidate")
    fingerprint = re.search(r'name="fingerprint"[^>]*value="([0-9a-f]+)"', preview.text)
    sign_from(app, FLOOD, "late@junk.example")  # the flood goes on meanwhile
    response = moderator.post(
        "/organisers/abuse/apply",
        data={
            "csrf_token": csrf_from(preview.text),
            "hours": "24",
            "client": flood,
            "action": "invalidate",
            "fingerprint": fingerprint.group(1),
        },
    )
    assert (
        response.status_code == 303 and "/organisers/abuse/preview" in response.headers["Location"]
    )
    assert len(supporters(app)) == 44
    assert audit_rows(app, "signups.invalidated") == []


@pytest.mark.parametrize(
    "query",
    [
        "hours=24&action=invalidate",  # no set chosen: not "everything"
        "hours=24&client=not-a-hash&action=invalidate",
        "hours=24&domain=<script>&action=invalidate",
        "hours=999&held=y&action=release",
        "hours=24&held=y&action=explode",
    ],
)
def test_bad_choices_are_refused_and_change_nothing(app, moderator, flood, query):
    response = moderator.get(f"/organisers/abuse/preview?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert len(supporters(app)) == 43


def test_only_moderators_and_above_reach_the_desk(app, client):
    make_organiser(app, "viewer@campaign.example", "viewer")
    assert log_in(client, "viewer@campaign.example").status_code == 302
    assert client.get("/organisers/abuse/").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/organisers/abuse/").status_code == 302
