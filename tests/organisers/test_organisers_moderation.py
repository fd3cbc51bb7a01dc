"""The affiliations queue: approve, reject with a reason, fee paid; one row swapped by htmx."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from campaign.extensions import db
from campaign.groups.models import Group
from campaign.mail.models import OutboxMessage
from campaign.tally import read_tallies
from tests.support.factories import ORGANISER_EMAIL, add_group
from tests.support.reads import audit_rows
from tests.support.web import token

HTMX = {"HX-Request": "true"}


def _group(app, **values) -> int:
    with app.app_context():
        group_id = add_group(**values).id
        db.session.commit()
        return group_id


def _status(app, group_id):
    with app.app_context():
        return db.session.get(Group, group_id).status


def test_queue_shows_groups_representatives_and_duplicate_flags(app, organiser_client):
    with app.app_context():
        first = add_group(name="Hackney Left", status="approved")
        add_group(
            name="Hackney Left Too",
            representatives=2,
            duplicate_of_id=first.id,
            duplicate_reason="same name and region",
        )
        db.session.commit()
    html = organiser_client.get("/organisers/groups").text
    assert "Hackney Left Too" in html
    assert "Possible duplicate" in html and "same name and region" in html
    assert "Rep " in html and "&lt;rep" in html
    assert 'hx-target="closest tr"' in html and 'hx-swap="outerHTML"' in html


def test_approve_through_htmx_swaps_one_row(app, organiser_client):
    group_id = _group(app)
    response = organiser_client.post(
        f"/organisers/groups/{group_id}/approve",
        data={"csrf_token": token(organiser_client)},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="group-{group_id}"')
    assert "<html" not in response.text and "is approved" in response.text
    assert f"Approved by {ORGANISER_EMAIL}" in response.text
    assert _status(app, group_id) == "approved"
    with app.app_context():
        assert read_tallies("groups").get("groups") == 1
    [record] = audit_rows(app, "group.approved")
    assert record.actor == ORGANISER_EMAIL and record.target == f"group:{group_id}"


def test_approve_without_javascript_redirects_back(app, organiser_client):
    group_id = _group(app)
    response = organiser_client.post(
        f"/organisers/groups/{group_id}/approve", data={"csrf_token": token(organiser_client)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/organisers/groups"
    assert "is approved" in organiser_client.get("/organisers/groups").text


def test_invalid_transition_is_409_and_changes_nothing(app, organiser_client):
    group_id = _group(app, status="rejected", rejection_reason="no")
    csrf = token(organiser_client)
    htmx = organiser_client.post(
        f"/organisers/groups/{group_id}/approve", data={"csrf_token": csrf}, headers=HTMX
    )
    assert htmx.status_code == 409 and 'role="alert"' in htmx.text
    plain = organiser_client.post(
        f"/organisers/groups/{group_id}/approve", data={"csrf_token": csrf}
    )
    assert plain.status_code == 409
    assert _status(app, group_id) == "rejected"
    assert audit_rows(app, "group.approved") == []


def test_reject_needs_a_reason(app, organiser_client):
    group_id = _group(app)
    csrf = token(organiser_client)
    empty = organiser_client.post(
        f"/organisers/groups/{group_id}/reject",
        data={"csrf_token": csrf, "reason": "  "},
        headers=HTMX,
    )
    assert empty.status_code == 422 and "Give a reason" in empty.text
    assert _status(app, group_id) == "confirmed"
    done = organiser_client.post(
        f"/organisers/groups/{group_id}/reject",
        data={"csrf_token": csrf, "reason": "Not a Labour left group"},
        headers=HTMX,
    )
    assert done.status_code == 200 and "Not a Labour left group" in done.text
    assert _status(app, group_id) == "rejected"
    [record] = audit_rows(app, "group.rejected")
    assert record.details["reason"] == "Not a Labour left group"
    with app.app_context():  # the groups service told the contact why, in the same commit
        group = db.session.get(Group, group_id)
        sent = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == group.contact_email)
        ).all()
        assert any("Not a Labour left group" in m.text_body for m in sent)
        assert group.events[-1].by == ORGANISER_EMAIL


def test_fee_paid_in_place(app, organiser_client):
    group_id = _group(
        app, kind="trade-union", region="national", status="approved", fee_pence=50000
    )
    html = organiser_client.get("/organisers/groups").text
    assert "National union fees (1)" in html and "not paid" in html
    csrf = token(organiser_client)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    refused = organiser_client.post(
        f"/organisers/groups/{group_id}/fee",
        data={"csrf_token": csrf, "paid_on": future},
        headers=HTMX,
    )
    assert refused.status_code == 422
    nonsense = organiser_client.post(
        f"/organisers/groups/{group_id}/fee",
        data={"csrf_token": csrf, "paid_on": "last week"},
        headers=HTMX,
    )
    assert nonsense.status_code == 422
    response = organiser_client.post(
        f"/organisers/groups/{group_id}/fee",
        data={"csrf_token": csrf, "paid_on": "2026-01-15"},
        headers=HTMX,
    )
    assert response.status_code == 200 and "paid 15 January 2026" in response.text
    with app.app_context():
        assert db.session.get(Group, group_id).fee_paid_at == dt.datetime(2026, 1, 15)
    [record] = audit_rows(app, "group.fee_paid")
    assert record.details["paid_on"] == "2026-01-15"


def test_fee_for_a_group_without_fee_is_409(app, organiser_client):
    group_id = _group(app)
    response = organiser_client.post(
        f"/organisers/groups/{group_id}/fee",
        data={"csrf_token": token(organiser_client), "paid_on": "2026-01-15"},
        headers=HTMX,
    )
    assert response.status_code == 409
    assert audit_rows(app, "group.fee_paid") == []


def test_unknown_group_is_404(organiser_client):
    response = organiser_client.post(
        "/organisers/groups/999999/approve", data={"csrf_token": token(organiser_client)}
    )
    assert response.status_code == 404
