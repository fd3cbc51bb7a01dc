"""Closing the campaign: sign-up stops with a clear page, and after the chosen date the
personal data is anonymised by the scheduler while every count stays right."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.appeal.services import confirm_signature, recount_signature_tallies
from campaign.extensions import db
from campaign.groups.models import Group, GroupRepresentative
from campaign.groups.services import approve_group, confirm_group_contact, register_group
from campaign.mail.models import OutboxMessage
from campaign.models import utcnow
from campaign.scheduler import run_due_jobs
from tests.support.data import form_data, service_data
from tests.support.reads import supporters, tallies
from tests.support.web import HTMX, csrf_from, sign


def close(runner, days: int) -> str:
    result = runner.invoke(args=["campaign", "close", "--anonymise-after", str(days), "--yes"])
    assert result.exit_code == 0, result.output
    return result.output


def test_closing_stops_every_sign_up_with_a_clear_answer(app, client, runner):
    token = csrf_from(client.get("/appeal").text)
    assert "sign-up has stopped" in close(runner, 30)
    page = client.get("/appeal")
    assert page.status_code == 200 and "The campaign has closed" in page.text
    assert 'name="first_name"' not in page.text  # no form to fill in for nothing
    posted = client.post("/appeal", data={"csrf_token": token, **form_data()})
    assert posted.status_code == 410 and "sign-up has stopped" in posted.text
    fragment = client.post("/appeal", data={"csrf_token": token, **form_data()}, headers=HTMX)
    assert fragment.status_code == 410 and "<html" not in fragment.text
    assert fragment.headers["HX-Retarget"] == "find .form-problem"
    affiliate = client.get("/groups/affiliate")
    assert "The campaign has closed" in affiliate.text
    assert 'name="contact_email"' not in affiliate.text
    assert (
        client.post("/bulletin", data={"csrf_token": token, "email": "b@example.org"}).status_code
        == 410
    )
    embedded = client.post("/embed/sign", data=form_data(), headers={"Origin": "http://localhost"})
    assert embedded.status_code == 410
    assert supporters(app) == []


def test_personal_data_is_anonymised_after_the_date_and_counts_kept(app, client, runner):
    sign(client, email="ada@example.org", reason="For democracy", trade_union="Unite")
    sign(client, email="bob@example.org", postcode=None, outside_uk="y", country="France")
    with app.app_context():
        for supporter in db.session.scalars(sa.select(Supporter)):
            confirm_signature(supporter)
        group = register_group(service_data())
        db.session.flush()
        confirm_group_contact(group)
        approve_group(group, by="organiser@campaign.example")
        db.session.commit()
    counts_before = tallies(app)
    assert counts_before["signatures"] == 2 and counts_before["groups"] == 1

    close(runner, 30)
    now = utcnow()
    with app.app_context():
        early = run_due_jobs(now + dt.timedelta(days=29))
    assert early["anonymise-supporters-after-close"] == "not due"
    assert {s.email for s in supporters(app)} == {"ada@example.org", "bob@example.org"}

    with app.app_context():
        results = run_due_jobs(now + dt.timedelta(days=31))
    assert results["anonymise-supporters-after-close"] == "anonymised 2 supporters"
    assert results["anonymise-group-contacts-after-close"] == "anonymised the contacts of 1 group"
    assert results["delete-mail-after-close"].startswith("deleted ")

    for person in supporters(app):
        assert (
            person.email.endswith("@anonymised.invalid") and person.email_canonical == person.email
        )
        assert (person.first_name, person.last_name, person.postcode, person.country) == (
            "",
            "",
            None,
            None,
        )
        assert (person.reason, person.trade_union, person.ip_hash) == (None, None, None)
        assert person.counted  # still a confirmed signature
    with app.app_context():
        group = db.session.scalars(sa.select(Group)).one()
        assert (group.contact_name, group.contact_phone) == ("", None)
        assert group.contact_email.endswith("@anonymised.invalid")
        reps = db.session.scalars(sa.select(GroupRepresentative)).all()
        assert all(r.name == "" and r.email.endswith("@anonymised.invalid") for r in reps)
        assert db.session.scalars(sa.select(OutboxMessage)).all() == []
        recount = recount_signature_tallies()
    # The numbers did not move, and a recount from the anonymised rows agrees.
    assert tallies(app) == counts_before
    assert {k: v for k, v in counts_before.items() if k.startswith("signatures")} == recount
    assert "Leeds Labour Left" in client.get("/groups").text
    # Running again changes nothing more.
    with app.app_context():
        again = run_due_jobs(now + dt.timedelta(days=40))
    assert (
        again.get("anonymise-supporters-after-close", "anonymised 0 supporters")
        == "anonymised 0 supporters"
    )
