"""Paper signatures through the real routes: batches counted beside the online signatures
in the same transaction, refused when impossible, corrected or withdrawn with a reason."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.counters.services import find_drift
from campaign.extensions import db
from campaign.groups.affiliated import add_affiliated_group
from campaign.models import utcnow
from campaign.paper.models import PaperBatch
from campaign.tally import count_signature, read_tallies
from tests.support.factories import add_supporter, make_organiser
from tests.support.reads import audit_rows
from tests.support.web import log_in, token

NEW = "/organisers/paper/new"
HTMX = {"HX-Request": "true"}


def snapshot(app) -> dict:
    with app.app_context():
        return {
            "batches": [
                (b.signatures, b.status) for b in db.session.scalars(sa.select(PaperBatch))
            ],
            "supporters": db.session.scalar(sa.select(sa.func.count()).select_from(Supporter)),
            "tallies": read_tallies("signatures"),
        }


def online_signatures(app, n: int) -> None:
    with app.app_context():
        for _ in range(n):
            count_signature(add_supporter(), +1)
        db.session.commit()


def batch(client, **data):
    form = {
        "collected_on": (utcnow().date() - dt.timedelta(days=2)).isoformat(),
        "place": "Leeds Trades Club",
        "group_id": "",
        "signatures": "40",
        "csrf_token": token(client, NEW),
        **data,
    }
    return client.post(NEW, data=form, content_type="multipart/form-data")


def test_a_batch_counts_in_the_public_numbers_separately_and_together(app, organiser_client):
    online_signatures(app, 3)
    response = batch(organiser_client)
    assert response.status_code == 302
    stats = organiser_client.get("/api/stats.json").json
    assert stats["signatures"] == 43  # consumers reading the total keep working
    assert stats["signatures_online"] == 3 and stats["signatures_paper"] == 40
    partial = organiser_client.get("/partials/counters").text
    assert ">43<" in partial and "3 online, 40 on paper" in partial
    numbers = organiser_client.get("/numbers").text
    assert "Signed on paper, at meetings and stalls" in numbers
    with app.app_context():
        assert find_drift() == []
    [record] = audit_rows(app, "paper.recorded")
    assert record.details["signatures"] == 40 and record.details["place"] == "Leeds Trades Club"


def test_the_goal_bar_counts_online_and_paper_together(app, organiser_client):
    online_signatures(app, 2)
    batch(organiser_client, signatures="98")
    partial = organiser_client.get("/partials/counters").text
    assert 'value="100"' in partial


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"signatures": "0"}, "from 1 to 20,000"),
        ({"signatures": "-5"}, "from 1 to 20,000"),
        ({"signatures": "10000000"}, "from 1 to 20,000"),
        ({"signatures": "many"}, "Not a valid integer"),
        ({"collected_on": "NEXT_YEAR"}, "cannot be in the future"),
        ({"collected_on": ""}, "Enter the day the forms were signed"),
        ({"group_id": "999"}, "Choose one of the affiliated groups"),
        ({"group_id": "x1"}, "Choose one of the affiliated groups"),
        ({"place": ""}, "Say where the forms were signed"),
    ],
)
def test_impossible_batches_are_refused_at_the_field(app, organiser_client, data, message):
    before = snapshot(app)
    if data.get("collected_on") == "NEXT_YEAR":
        data = {"collected_on": (utcnow().date() + dt.timedelta(days=366)).isoformat()}
    response = batch(organiser_client, **data)
    assert response.status_code == 422
    assert message in response.text and 'aria-invalid="true"' in response.text
    assert snapshot(app) == before
    assert audit_rows(app, "paper.recorded") == []


def test_a_batch_from_a_revoked_group_is_refused(app, organiser_client):
    with app.app_context():
        group = add_affiliated_group(
            {
                "name": "Gone",
                "kind": "clp",
                "region": "london",
                "contact_name": "G",
                "contact_email": "g@example.org",
            },
            by="setup",
        )
        group.status = "revoked"
        db.session.commit()
        group_id = group.id
    response = batch(organiser_client, group_id=str(group_id))
    assert response.status_code == 422


def test_names_become_supporters_only_with_consent_and_an_address(app, organiser_client):
    with app.app_context():
        known = add_supporter(email="known@example.org", first_name="Known")
        count_signature(known, +1)
        known_id = known.id
        db.session.commit()
    names = (
        "first_name,last_name,email,postcode,consent\n"
        "Łukasz,Nowak,lukasz@example.org,ls1 1ur,yes\n"
        "Ann,Other,ann@example.org,,no\n"
        "Bo,Nomail,,,yes\n"
        "Kay,Known,known@example.org,,yes\n"
    )
    response = batch(organiser_client, names=names, signatures="10")
    assert response.status_code == 302
    with app.app_context():
        lukasz = db.session.scalars(
            sa.select(Supporter).where(Supporter.email_canonical == "lukasz@example.org")
        ).one()
        assert lukasz.postcode == "LS1 1UR" and lukasz.region == "yorkshire"
        assert lukasz.bulletin_consent and lukasz.signed_at is None  # the batch counts them
        assert (
            db.session.scalars(
                sa.select(Supporter).where(Supporter.email_canonical == "ann@example.org")
            ).first()
            is None
        )
        assert db.session.get(Supporter, known_id).first_name == "Known"  # left as it was
        assert read_tallies("signatures")["signatures:paper"] == 10
        assert find_drift() == []
    [record] = audit_rows(app, "paper.recorded")
    assert record.details["names"] == {
        "added": 1,
        "already_known": 1,
        "without_consent": 1,
        "without_email": 1,
    }


def test_bad_name_lines_are_reported_by_line_and_nothing_is_recorded(app, organiser_client):
    before = snapshot(app)
    names = (
        "Ann,Ok,ann@example.org,,yes\nBob,,,,no\nCy,Z,not-mail,,yes\n"
        "Di,Y,,ZZ99 9ZZ,yes\nEd,X,,,maybe\n"
    )
    response = batch(organiser_client, names=names, signatures="10")
    assert response.status_code == 422
    for expected in (
        "Line 2: the last name is missing",
        "Line 3:",
        "Line 4: “ZZ99 9ZZ” is not a UK postcode",
        "Line 5: consent must be yes or no",
    ):
        assert expected in response.text
    assert snapshot(app) == before


def test_more_names_than_signatures_is_refused(app, organiser_client):
    response = batch(organiser_client, names="A,B,,,no\nC,D,,,no\n", signatures="1")
    assert response.status_code == 422 and "more names than signatures" in response.text


def test_a_names_file_that_is_not_utf8_is_refused(app, organiser_client):
    before = snapshot(app)
    form = {
        "collected_on": utcnow().date().isoformat(),
        "place": "Stall",
        "group_id": "",
        "signatures": "5",
        "csrf_token": token(organiser_client, NEW),
        "names_file": (io.BytesIO("Zoë,Café,,,no\n".encode("cp1252")), "names.csv"),
    }
    response = organiser_client.post(NEW, data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and "not UTF-8" in response.text
    assert snapshot(app) == before


def _batch_id(app) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(PaperBatch.id)).one()


def test_correct_and_withdraw_with_a_reason_move_the_tally_exactly(app, organiser_client):
    batch(organiser_client, signatures="40")
    batch_id = _batch_id(app)
    page = f"/organisers/paper/{batch_id}"
    csrf = token(organiser_client, page)
    correction = {
        "collected_on": (utcnow().date() - dt.timedelta(days=2)).isoformat(),
        "place": "Leeds Trades Club",
        "group_id": "",
        "signatures": "35",
        "csrf_token": csrf,
    }
    refused = organiser_client.post(f"{page}/correct", data=correction, headers=HTMX)
    assert refused.status_code == 422 and "Give a reason" in refused.text
    assert "<html" not in refused.text
    assert snapshot(app)["tallies"]["signatures:paper"] == 40
    done = organiser_client.post(
        f"{page}/correct", data={**correction, "reason": "Five forms counted twice"}, headers=HTMX
    )
    assert done.status_code == 200 and "is corrected" in done.text
    assert snapshot(app)["tallies"]["signatures:paper"] == 35
    no_reason = organiser_client.post(f"{page}/withdraw", data={"csrf_token": csrf})
    assert no_reason.status_code == 422
    withdrawn = organiser_client.post(
        f"{page}/withdraw", data={"csrf_token": csrf, "reason": "Entered twice"}
    )
    assert withdrawn.status_code == 302
    assert snapshot(app)["tallies"]["signatures:paper"] == 0
    again = organiser_client.post(
        f"{page}/withdraw", data={"csrf_token": csrf, "reason": "Again"}, headers=HTMX
    )
    assert again.status_code == 409
    assert snapshot(app)["tallies"]["signatures:paper"] == 0
    with app.app_context():
        assert find_drift() == []
    history = organiser_client.get(page).text
    assert "Five forms counted twice" in history and "Entered twice" in history
    assert "signatures 40 → 35" in history
    actions = [r.action for r in audit_rows(app) if r.action.startswith("paper.")]
    assert actions == ["paper.recorded", "paper.corrected", "paper.withdrawn"]


def test_counters_check_sees_paper_drift_and_repairs_it(app, organiser_client, runner):
    batch(organiser_client, signatures="40")
    with app.app_context():
        db.session.execute(sa.text("UPDATE tallies SET value = 7 WHERE key = 'signatures:paper'"))
        db.session.commit()
    result = runner.invoke(args=["counters", "check"])
    assert result.exit_code == 1 and "signatures:paper: tally 7, actual 40" in result.output
    assert runner.invoke(args=["counters", "check", "--repair"]).exit_code == 0
    assert snapshot(app)["tallies"]["signatures:paper"] == 40


def test_a_moderator_cannot_record_paper_signatures(app, client):
    make_organiser(app, "mod@campaign.example", "moderator")
    log_in(client, "mod@campaign.example")
    assert client.get("/organisers/paper/").status_code == 403
    assert client.get(NEW).status_code == 403
