"""The audit log: written with the change, never changed, listed and filtered for admins."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.organisers.audit import AuditLogIsAppendOnly, record_audit
from campaign.organisers.models import AuditRecord
from tests.support.factories import ADMIN_EMAIL
from tests.support.reads import audit_rows


def test_record_audit_is_committed_by_the_caller(app):
    with app.app_context():
        record_audit("supporters.exported", "someone@example.org", rows=3)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord)) == 0
        record_audit(
            "supporters.exported", "someone@example.org", rows=3, since=dt.date(2026, 1, 2)
        )
        db.session.commit()
    [record] = audit_rows(app)
    assert record.details == {"rows": 3, "since": "2026-01-02"}


def test_unknown_action_is_refused(app):
    with app.app_context(), pytest.raises(ValueError):
        record_audit("made.up", "cli")


def test_the_orm_refuses_to_change_or_delete_a_record(app):
    with app.app_context():
        record = record_audit("logout", "a@example.org")
        db.session.commit()
        record.actor = "someone else"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(AuditRecord, record.id))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
    assert audit_rows(app)[0].actor == "a@example.org"


def test_the_database_refuses_updates_and_deletes(app):
    with app.app_context():
        record_audit("logout", "a@example.org")
        db.session.commit()
        for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
    assert [r.actor for r in audit_rows(app)] == ["a@example.org"]


def test_admins_list_and_filter_the_log(app, admin_client):
    with app.app_context():
        record_audit("supporters.exported", "o1@example.org", rows=12)
        record_audit("group.approved", "o2@example.org", target="group:7")
        db.session.commit()
    page = admin_client.get("/organisers/audit")
    assert page.status_code == 200
    assert "Supporters exported" in page.text and "Group approved" in page.text
    assert "Logged in" in page.text  # the admin's own log-in
    by_action = admin_client.get("/organisers/audit?action=group.approved").text
    assert "group:7" in by_action and "o1@example.org" not in by_action
    by_actor = admin_client.get("/organisers/audit?actor=o1@example.org").text
    assert "rows: 12" in by_actor and "group:7" not in by_actor
    today = dt.date.today().isoformat()
    assert "group:7" in admin_client.get(f"/organisers/audit?since={today}&until={today}").text
    assert "group:7" not in admin_client.get("/organisers/audit?until=2000-01-01").text


@pytest.mark.parametrize(
    "query", ["action=drop.tables", "since=yesterday", "until=2026-13-45", "before=abc"]
)
def test_nonsense_audit_filters_are_400(admin_client, query):
    response = admin_client.get(f"/organisers/audit?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.text


def test_audit_log_pages_by_id(app, admin_client):
    with app.app_context():
        for n in range(105):
            record_audit("logout", f"p{n}@example.org")
        db.session.commit()
    first = admin_client.get("/organisers/audit?action=logout").text
    assert "p104@example.org" in first and "p4@example.org" not in first
    import re

    older = re.search(r'href="(/organisers/audit\?[^"]+)">Older', first).group(1)
    second = admin_client.get(older.replace("&amp;", "&")).text
    assert "p4@example.org" in second and "p0@example.org" in second
    assert "p104@example.org" not in second
    assert ADMIN_EMAIL  # the admin is logged in for all of this
