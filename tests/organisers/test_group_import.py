"""Importing groups that affiliated before the site: header matching, a preview that
changes nothing, then the commit; on the web (organisers only) and on the CLI."""

from __future__ import annotations

import html as html_lib
import io
import re

import pytest
import sqlalchemy as sa

from campaign.counters.services import find_drift
from campaign.extensions import db
from campaign.groups.affiliated import add_affiliated_group
from campaign.groups.models import Group
from campaign.mail.models import OutboxMessage
from campaign.organisers.models import AuditRecord
from campaign.tally import read_tallies
from tests.support.factories import ORGANISER_EMAIL, make_organiser
from tests.support.reads import audit_rows
from tests.support.web import log_in, token

IMPORT = "/organisers/groups/affiliated/import"
CSV = (
    "Group name,Type,Region,Town,Contact,E-mail,Rep 1 name,Rep 1 email,Notes\n"
    "Leeds Labour Left,Local Labour left group,Yorkshire and the Humber,Leeds,"
    "Rosa,rosa@example.org,Ada,ada@example.org,x\n"
    "Momentum Bristol,momentum,south-west,Bristol,Sam,sam@example.org,,,\n"
    "Momentum  bristol,Momentum branch,South West,Bristol,Kim,kim@example.org,,,\n"
    "Nowhere Group,local-left-group,atlantis,,Lee,lee@example.org,,,\n"
    "Bad Mail Group,clp,london,,Lou,not-an-address,,,\n"
    "Hackney Left,local-left-group,london,Hackney,Hal,hal@example.org,,,\n"
)


def snapshot(app) -> dict:
    """Everything an import could touch."""
    with app.app_context():
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        return {
            "groups": count(Group),
            "outbox": count(OutboxMessage),
            "audit": count(AuditRecord),
            "tallies": read_tallies("groups"),
        }


def existing_group(app) -> None:
    with app.app_context():
        add_affiliated_group(
            {
                "name": "Hackney Left",
                "kind": "local-left-group",
                "region": "london",
                "contact_name": "Old",
                "contact_email": "old@example.org",
            },
            by="setup",
        )
        db.session.commit()


def upload(client, content: bytes | str, name: str = "groups.csv"):
    raw = content.encode() if isinstance(content, str) else content
    return client.post(
        IMPORT,
        data={"csrf_token": token(client, IMPORT), "file": (io.BytesIO(raw), name)},
        content_type="multipart/form-data",
    )


def test_preview_sorts_rows_and_changes_nothing_then_commit_creates(
    app, organiser_client, mailbox, deliver_mail
):
    existing_group(app)
    before = snapshot(app)
    preview = upload(organiser_client, CSV)
    assert preview.status_code == 200
    html = preview.text
    assert "2 to create · 2 to skip as duplicates · 2 refused" in html
    assert "Line 4, Momentum bristol: repeats line 3" in html
    assert "Line 7, Hackney Left: already on the site" in html
    assert "Line 5: region: Choose one of the regions listed" in html
    assert "Line 6: contact email:" in html
    assert "Columns not used: Notes" in html
    assert snapshot(app) == before  # the preview changed nothing

    # The accepted preview sends the file's text back with the button.
    commit_token = token(organiser_client, IMPORT)
    csv_text = html_lib.unescape(re.search(r'name="csv" type="hidden" value="([^"]*)"', html)[1])
    assert csv_text == CSV
    response = organiser_client.post(
        f"{IMPORT}/commit",
        data={"csrf_token": commit_token, "csv": csv_text, "filename": "groups.csv"},
    )
    assert response.status_code == 302
    with app.app_context():
        names = sorted(db.session.scalars(sa.select(Group.name)))
        leeds = db.session.scalars(sa.select(Group).where(Group.name == "Leeds Labour Left")).one()
        assert leeds.status == "approved" and leeds.region == "yorkshire"
        assert [(r.name, r.email) for r in leeds.representatives] == [("Ada", "ada@example.org")]
        assert "Imported from groups.csv, line 2" in leeds.events[0].note
        assert find_drift() == []
    assert names == ["Hackney Left", "Leeds Labour Left", "Momentum Bristol"]
    assert snapshot(app)["tallies"]["groups:kind:momentum-branch"] == 1
    [record] = audit_rows(app, "groups.imported")
    assert record.actor == ORGANISER_EMAIL
    assert record.details == {"created": 2, "skipped": 2, "refused": 2}
    deliver_mail()
    assert mailbox.messages == []  # no e-mail unless asked


HEADER = "name,kind,region,contact_name,contact_email\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,kind\nA,clp\n", "no column for: region, contact name, contact email"),
        ((HEADER + "Caf\xe9,clp,london,C,c@example.org\n").encode("cp1252"), "not UTF-8"),
        (b"", "The file is empty"),
        ((HEADER + '"unterminated,clp,london,x,x@example.org\n').encode(), "not valid CSV"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_and_nothing_changes(
    app, organiser_client, content, message
):
    before = snapshot(app)
    response = upload(organiser_client, content)
    assert response.status_code == 422
    assert message in response.text
    assert snapshot(app) == before


def test_a_fourth_representative_refuses_the_row(app, organiser_client):
    content = (
        "name,kind,region,contact_name,contact_email,rep1_name,rep1_email,rep2_name,rep2_email,"
        "rep3_name,rep3_email,rep4_name,rep4_email\n"
        "Big Union,trade-union,national,Pat,pat@example.org,A,a@example.org,B,b@example.org,"
        "C,c@example.org,D,d@example.org\n"
    )
    html = upload(organiser_client, content).text
    assert "0 to create" in html and "Line 2: representatives: A group names at most 3" in html


def test_a_moderator_edits_groups_but_cannot_import(app, client):
    make_organiser(app, "mod@campaign.example", "moderator")
    log_in(client, "mod@campaign.example")
    assert client.get("/organisers/groups/affiliated").status_code == 200
    assert client.get(IMPORT).status_code == 403
    assert client.post(f"{IMPORT}/commit", data={}).status_code in (400, 403)


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_dry_run_reports_and_changes_nothing(app, runner, tmp_path):
    existing_group(app)
    path = tmp_path / "groups.csv"
    path.write_text(CSV, encoding="utf-8")
    before = snapshot(app)
    result = runner.invoke(args=["groups", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2 to create, 2 to skip as duplicates, 2 refused." in result.output
    assert "line 5: refused: region" in result.output
    assert "Nothing was changed." in result.output
    assert snapshot(app) == before


def test_cli_import_commits_after_confirmation_with_a_progress_bar(app, runner, tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text(CSV, encoding="utf-8-sig")  # Excel's BOM is fine
    refused = runner.invoke(args=["groups", "import", str(path)], input="n\n")
    assert "Nothing was changed." in refused.output
    result = runner.invoke(args=["groups", "import", str(path)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Created 3 groups" in result.output
    assert "Creating groups" in result.output  # the progress bar's label
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Group)) == 3
        assert find_drift() == []
    [record] = audit_rows(app, "groups.imported")
    assert record.actor == "cli" and record.details["created"] == 3


def test_cli_refuses_a_file_of_100000_lines_whole(app, runner, tmp_path):
    path = tmp_path / "huge.csv"
    rows = "".join(f"Group {n},clp,london,C,c{n}@example.org\n" for n in range(100_000))
    path.write_text("name,kind,region,contact_name,contact_email\n" + rows, encoding="utf-8")
    before = snapshot(app)
    result = runner.invoke(args=["groups", "import", str(path), "--yes"])
    assert result.exit_code != 0
    assert "larger than 200 KB" in result.output
    assert snapshot(app) == before


def test_cli_refuses_non_utf8(app, runner, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        "name,kind,region,contact_name,contact_email\nCafé,clp,london,C,c@x.org\n".encode("latin-1")
    )
    result = runner.invoke(args=["groups", "import", str(path), "--yes"])
    assert result.exit_code != 0 and "not UTF-8" in result.output


def test_a_100000_line_upload_is_refused_whole_with_a_message(app, organiser_client):
    rows = "".join(f"Group {n},clp,london,C,c{n}@example.org\n" for n in range(100_000))
    before = snapshot(app)
    response = upload(organiser_client, HEADER + rows)
    assert response.status_code == 413
    assert "too large" in response.text
    assert snapshot(app) == before
