"""Affiliated groups after approval, through the real routes: list, edit, representatives,
fees and reminders, revoke and restore, groups added one by one. Mail through real SMTP."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from campaign.counters.services import find_drift
from campaign.extensions import db
from campaign.groups.affiliated import add_affiliated_group, add_year
from campaign.groups.models import FeeReminder, Group, GroupFeePayment
from campaign.mail.models import OutboxMessage
from campaign.models import utcnow
from campaign.scheduler import run_due_jobs
from campaign.tally import read_tallies
from tests.support.factories import add_group, make_organiser
from tests.support.reads import audit_rows
from tests.support.web import log_in, token

HTMX = {"HX-Request": "true"}
MODERATOR_EMAIL = "moderator@campaign.example"
LIST = "/organisers/groups/affiliated"


@pytest.fixture
def moderator_client(app, client):
    make_organiser(app, MODERATOR_EMAIL, "moderator")
    assert log_in(client, MODERATOR_EMAIL).status_code == 302
    return client


def approved(app, **values) -> int:
    """An affiliated group added through the service (so it is counted); returns its id."""
    data = {
        "name": "Leeds Labour Left",
        "kind": "local-left-group",
        "region": "yorkshire",
        "town": "Leeds",
        "contact_name": "Rosa Contact",
        "contact_email": "rosa@example.org",
        "decided_how": "At our AGM",
        "representatives": [{"name": "Ada Rep", "email": "ada@example.org"}],
    }
    data.update(values)
    with app.app_context():
        group = add_affiliated_group(data, by="setup")
        db.session.commit()
        return group.id


def union(app, **values) -> int:
    return approved(
        app,
        **{
            "name": "Bakers Union",
            "kind": "trade-union",
            "region": "national",
            "contact_email": "union@example.org",
            **values,
        },
    )


def state(app, group_id: int) -> dict:
    """What an auditor would look at: the row, its reps, the tallies, the outbox."""
    with app.app_context():
        group = db.session.get(Group, group_id)
        return {
            "name": group.name,
            "status": group.status,
            "region": group.region,
            "reps": [(r.name, r.email) for r in group.representatives],
            "events": len(group.events),
            "payments": len(group.fee_payments),
            "fee_due_on": group.fee_due_on,
            "tallies": read_tallies("groups"),
            "outbox": db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)),
        }


def edit_data(**overrides) -> dict:
    data = {
        "name": "Leeds Labour Left",
        "kind": "local-left-group",
        "region": "yorkshire",
        "town": "Leeds",
        "contact_name": "Rosa Contact",
        "contact_email": "rosa@example.org",
        "decided_how": "At our AGM",
        "representatives-0-name": "Ada Rep",
        "representatives-0-email": "ada@example.org",
    }
    data.update(overrides)
    return data


# --- the list ---------------------------------------------------------------------------


def test_list_shows_affiliated_groups_with_filters_and_search(app, moderator_client):
    approved(app)
    approved(
        app,
        name="Łódź Solidarity Branch",
        kind="other",
        region="london",
        contact_email="lodz@example.org",
    )
    with app.app_context():
        add_group(name="Still Pending", status="confirmed")
        db.session.commit()
    page = moderator_client.get(LIST)
    assert page.status_code == 200
    assert "Leeds Labour Left" in page.text and "Łódź Solidarity Branch" in page.text
    assert "Still Pending" not in page.text  # only approved groups
    assert "Ada Rep" in page.text
    # No JavaScript: a plain GET with the filters in the URL gives the whole page, filtered.
    found = moderator_client.get(LIST, query_string={"kind": "other"})
    assert "<html" in found.text and "Łódź Solidarity Branch" in found.text
    assert "Leeds Labour Left" not in found.text.split('id="affiliated-results"')[1]
    # htmx: only the results fragment, marked as varying by HX-Request.
    fragment = moderator_client.get(LIST, query_string={"q": "łódź"}, headers=HTMX)
    assert "<html" not in fragment.text and fragment.text.lstrip().startswith("<div")
    assert "Łódź Solidarity Branch" in fragment.text and "Leeds Labour Left" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    # The search box lives in the form, which pushes the URL: the filters survive a reload.
    assert 'hx-push-url="true"' in page.text


def test_list_refuses_an_unknown_filter_value_with_a_message(app, moderator_client):
    response = moderator_client.get(LIST, query_string={"kind": "bogus"}, headers=HTMX)
    assert response.status_code == 400
    assert "<html" not in response.text and "Not a valid choice" in response.text


def test_viewer_cannot_open_the_list(app, client):
    make_organiser(app, "viewer@campaign.example", "viewer")
    log_in(client, "viewer@campaign.example")
    assert client.get(LIST).status_code == 403


# --- edit details and representatives -----------------------------------------------------


def test_moderator_edits_details_and_replaces_a_representative(
    app, moderator_client, mailbox, deliver_mail
):
    group_id = approved(app)
    edit = f"{LIST}/{group_id}/edit"
    form = moderator_client.get(edit)
    assert form.status_code == 200 and 'value="Ada Rep"' in form.text
    response = moderator_client.post(
        edit,
        data=edit_data(
            name="Leeds Left",
            **{
                "representatives-0-name": "Bea New",
                "representatives-0-email": "bea@example.org",
                "csrf_token": token(moderator_client, edit),
            },
        ),
    )
    assert response.status_code == 302
    after = state(app, group_id)
    assert after["name"] == "Leeds Left" and after["reps"] == [("Bea New", "bea@example.org")]
    page = moderator_client.get(response.headers["Location"]).text
    assert "Changed name, representatives" in page  # the group's own history
    assert MODERATOR_EMAIL in page
    [record] = audit_rows(app, "group.edited")
    assert record.actor == MODERATOR_EMAIL and record.target == f"group:{group_id}"
    assert record.details["changed"] == ["name", "representatives"]
    deliver_mail()
    [message] = mailbox.to("rosa@example.org")
    assert "details have changed" in message["Subject"]
    assert "Bea New" in mailbox.text(message) and "name, representatives" in mailbox.text(message)


def test_a_new_contact_address_is_told_and_so_is_the_old_one(
    app, moderator_client, mailbox, deliver_mail
):
    group_id = approved(app)
    edit = f"{LIST}/{group_id}/edit"
    moderator_client.post(
        edit,
        data=edit_data(contact_email="new@example.org", csrf_token=token(moderator_client, edit)),
    )
    deliver_mail()
    assert len(mailbox.to("new@example.org")) == 1
    assert len(mailbox.to("rosa@example.org")) == 1  # a hijacked contact is noticed


@pytest.mark.parametrize("htmx", [False, True])
def test_a_fourth_representative_is_refused_and_nothing_changes(app, moderator_client, htmx):
    group_id = union(app)
    before = state(app, group_id)
    edit = f"{LIST}/{group_id}/edit"
    reps = {}
    for i in range(4):
        reps[f"representatives-{i}-name"] = f"Rep {i}"
        reps[f"representatives-{i}-email"] = f"rep{i}@example.org"
    response = moderator_client.post(
        edit,
        data=edit_data(
            name="Bakers Union",
            kind="trade-union",
            region="national",
            contact_email="union@example.org",
            csrf_token=token(moderator_client, edit),
            **reps,
        ),
        headers=HTMX if htmx else {},
    )
    assert response.status_code == 422
    assert "at most 3 representatives" in response.text
    assert ("<html" in response.text) is not htmx  # a fragment for htmx, the page without
    assert state(app, group_id) == before
    assert audit_rows(app, "group.edited") == []


def test_moving_an_approved_group_moves_its_counters_in_the_same_transaction(app, moderator_client):
    group_id = approved(app)
    edit = f"{LIST}/{group_id}/edit"
    moderator_client.post(
        edit, data=edit_data(region="wales", csrf_token=token(moderator_client, edit))
    )
    tallies = state(app, group_id)["tallies"]
    assert tallies.get("groups:region:yorkshire", 0) == 0
    assert tallies["groups:region:wales"] == 1 and tallies["groups"] == 1
    with app.app_context():
        assert find_drift() == []


def test_a_duplicate_name_and_kind_is_refused_at_the_name(app, moderator_client):
    approved(app, name="Hackney Left", region="london", contact_email="h@example.org")
    group_id = approved(app)
    edit = f"{LIST}/{group_id}/edit"
    response = moderator_client.post(
        edit, data=edit_data(name="Hackney  left", csrf_token=token(moderator_client, edit))
    )
    assert response.status_code == 422 and "already has this name and kind" in response.text
    assert state(app, group_id)["name"] == "Leeds Labour Left"


# --- fees ---------------------------------------------------------------------------------


def pay(client, group_id: int, **data):
    page = f"{LIST}/{group_id}"
    return client.post(
        f"{page}/payments", data={"csrf_token": token(client, page), **data}, headers=HTMX
    )


def test_a_fee_payment_is_recorded_and_sets_the_next_due_date(app, moderator_client):
    group_id = union(app)
    paid_on = utcnow().date() - dt.timedelta(days=3)
    when = paid_on.isoformat()
    response = pay(moderator_client, group_id, paid_on=when, amount="500.00", reference="BACS 42")
    assert response.status_code == 200 and "<html" not in response.text
    assert "Recorded £500.00" in response.text and "BACS 42" in response.text
    after = state(app, group_id)
    assert after["payments"] == 1 and after["fee_due_on"] == add_year(paid_on)
    [record] = audit_rows(app, "group.fee_paid")
    assert record.details["amount_pence"] == 50000 and record.details["reference"] == "BACS 42"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "-500"}, "more than £0"),
        ({"amount": "0"}, "more than £0"),
        ({"amount": "100000000"}, "at most £100,000"),
        ({"amount": "lots"}, "Not a valid decimal"),
        ({"paid_on": "NEXT_YEAR"}, "cannot be in the future"),
        ({"paid_on": ""}, "Enter the day the fee was paid"),
    ],
)
def test_bad_fee_payments_are_refused_at_the_field(app, moderator_client, data, message):
    group_id = union(app)
    before = state(app, group_id)
    payment = {"paid_on": utcnow().date().isoformat(), "amount": "500", **data}
    if payment["paid_on"] == "NEXT_YEAR":
        payment["paid_on"] = (utcnow().date() + dt.timedelta(days=365)).isoformat()
    response = pay(moderator_client, group_id, **payment)
    assert response.status_code == 422
    assert message in response.text and 'aria-invalid="true"' in response.text
    assert state(app, group_id) == before


def test_fees_due_in_the_next_30_days_are_listed(app, moderator_client):
    soon = union(app)
    later = union(app, name="Later Union", contact_email="later@example.org")
    with app.app_context():
        db.session.get(Group, soon).fee_due_on = utcnow().date() + dt.timedelta(days=10)
        db.session.get(Group, later).fee_due_on = utcnow().date() + dt.timedelta(days=90)
        db.session.commit()
    html = moderator_client.get(LIST).text
    due = html.split('id="due-title"')[1].split("</section>")[0]
    assert "Bakers Union" in due and "Later Union" not in due
    filtered = moderator_client.get(LIST, query_string={"fee": "due"}, headers=HTMX).text
    assert "Bakers Union" in filtered and "Later Union" not in filtered


def test_the_fee_reminder_is_sent_once_across_two_worker_runs(app, mailbox, deliver_mail):
    group_id = union(app)
    now = utcnow()
    with app.app_context():
        db.session.get(Group, group_id).fee_due_on = now.date() + dt.timedelta(days=25)
        db.session.commit()
        first = run_due_jobs(now)
        # The next period: the job runs again and finds the reminder already sent.
        second = run_due_jobs(now + dt.timedelta(hours=7))
        reminders = db.session.scalars(sa.select(FeeReminder)).all()
    assert first["group-fee-reminders"] == "1 fee reminder queued"
    assert second["group-fee-reminders"] == "done"
    assert len(reminders) == 1
    deliver_mail()
    [message] = mailbox.to("union@example.org")
    assert "falls due soon" in message["Subject"]
    assert "£500.00" in mailbox.text(message)


def test_no_reminder_for_a_fee_due_later_or_already_due(app, mailbox, deliver_mail):
    later = union(app)
    overdue = union(app, name="Overdue Union", contact_email="overdue@example.org")
    with app.app_context():
        db.session.get(Group, later).fee_due_on = utcnow().date() + dt.timedelta(days=31)
        db.session.get(Group, overdue).fee_due_on = utcnow().date()
        db.session.commit()
        run_due_jobs(utcnow())
    deliver_mail()
    assert mailbox.messages == []


# --- revoke and restore -------------------------------------------------------------------


def test_revoke_needs_a_reason_and_changes_nothing_without(app, moderator_client):
    group_id = approved(app)
    page = f"{LIST}/{group_id}"
    before = state(app, group_id)
    response = moderator_client.post(
        f"{page}/revoke",
        data={"reason": "  ", "csrf_token": token(moderator_client, page)},
        headers=HTMX,
    )
    assert response.status_code == 422 and "Give a reason" in response.text
    assert "<html" not in response.text
    assert state(app, group_id) == before


def test_revoke_takes_the_group_off_the_directory_and_counters_at_once_then_restore(
    app, moderator_client, mailbox, deliver_mail
):
    group_id = approved(app)
    page = f"{LIST}/{group_id}"
    assert "Leeds Labour Left" in moderator_client.get("/groups").text
    assert moderator_client.get("/api/stats.json").json["groups"] == 1
    response = moderator_client.post(
        f"{page}/revoke",
        data={"reason": "The group has dissolved.", "csrf_token": token(moderator_client, page)},
    )
    assert response.status_code == 302
    assert "is revoked" in moderator_client.get(response.headers["Location"]).text  # the flash
    after = state(app, group_id)
    assert after["status"] == "revoked" and after["tallies"]["groups"] == 0
    assert "Leeds Labour Left" not in moderator_client.get("/groups").text
    assert moderator_client.get("/api/stats.json").json["groups"] == 0
    deliver_mail()
    [message] = mailbox.to("rosa@example.org")
    assert "revoked" in message["Subject"] and "The group has dissolved." in mailbox.text(message)
    # Restored: back in the directory and the counters, the contact told again.
    response = moderator_client.post(
        f"{page}/restore",
        data={"note": "Re-formed", "csrf_token": token(moderator_client, page)},
        headers=HTMX,
    )
    assert response.status_code == 200 and "is restored" in response.text
    assert state(app, group_id)["tallies"]["groups"] == 1
    assert "Leeds Labour Left" in moderator_client.get("/groups").text
    deliver_mail()
    assert any("restored" in m["Subject"] for m in mailbox.to("rosa@example.org"))
    history = moderator_client.get(page).text
    assert "The group has dissolved." in history and "Re-formed" in history
    assert [r.action for r in audit_rows(app) if r.action.startswith("group.")] == [
        "group.revoked",
        "group.restored",
    ]
    with app.app_context():
        assert find_drift() == []


def test_revoking_twice_answers_409_and_counts_once(app, moderator_client):
    group_id = approved(app)
    page = f"{LIST}/{group_id}"
    data = {"reason": "Gone", "csrf_token": token(moderator_client, page)}
    assert moderator_client.post(f"{page}/revoke", data=data).status_code == 302
    again = moderator_client.post(f"{page}/revoke", data=data, headers=HTMX)
    assert again.status_code == 409
    assert state(app, group_id)["tallies"]["groups"] == 0


# --- adding one -----------------------------------------------------------------------------


def test_adding_a_group_sends_no_mail_unless_asked(app, moderator_client, mailbox, deliver_mail):
    new = f"{LIST}/new"
    response = moderator_client.post(
        new,
        data=edit_data(contact_email="quiet@example.org", csrf_token=token(moderator_client, new)),
    )
    assert response.status_code == 302
    second = moderator_client.post(
        new,
        data=edit_data(
            name="Bristol Left",
            region="south-west",
            contact_email="told@example.org",
            tell_contact="y",
            csrf_token=token(moderator_client, new),
        ),
    )
    assert second.status_code == 302
    deliver_mail()
    assert mailbox.to("quiet@example.org") == []
    assert len(mailbox.to("told@example.org")) == 1
    with app.app_context():
        assert read_tallies("groups")["groups"] == 2
        assert find_drift() == []
    assert [r.details["told_contact"] for r in audit_rows(app, "group.added")] == [False, True]


def test_adding_a_duplicate_by_name_and_kind_is_refused(app, moderator_client):
    approved(app)
    new = f"{LIST}/new"
    response = moderator_client.post(
        new, data=edit_data(contact_email="x@example.org", csrf_token=token(moderator_client, new))
    )
    assert response.status_code == 422 and "already has this name and kind" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Group)) == 1


def test_fee_payments_are_kept_on_the_group(app):
    group_id = union(app)
    with app.app_context():
        assert db.session.scalars(sa.select(GroupFeePayment)).all() == []
        assert db.session.get(Group, group_id).fee_due_on == utcnow().date()


def test_a_union_approved_in_the_queue_has_its_fee_due_and_the_queue_fee_form_moves_it(
    app, organiser_client
):
    with app.app_context():
        group_id = add_group(
            name="Queue Union", kind="trade-union", region="national", fee_pence=50000
        ).id
        db.session.commit()
    queue_token = token(organiser_client, "/organisers/groups")
    organiser_client.post(
        f"/organisers/groups/{group_id}/approve", data={"csrf_token": queue_token}
    )
    assert state(app, group_id)["fee_due_on"] == utcnow().date()
    paid = utcnow().date() - dt.timedelta(days=1)
    organiser_client.post(
        f"/organisers/groups/{group_id}/fee",
        data={"csrf_token": queue_token, "paid_on": paid.isoformat()},
    )
    assert state(app, group_id)["fee_due_on"] == add_year(paid)
