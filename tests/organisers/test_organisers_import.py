"""`flask supporters import`: de-duplicates by canonical e-mail and reports what it did."""

from __future__ import annotations

import csv

import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.organisers.supporters import EXPORT_COLUMNS
from campaign.tally import read_tallies
from tests.support.factories import add_supporter, make_organiser
from tests.support.reads import audit_rows
from tests.support.web import csrf_from, log_in, token


def _write(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in EXPORT_COLUMNS})


def test_import_deduplicates_against_table_and_file(app, runner, tmp_path):
    with app.app_context():
        add_supporter(email="known@example.org")
        db.session.commit()
    source = tmp_path / "old-list.csv"
    signed = {"signed_at": "2025-06-01 10:00:00", "confirmed_at": "2025-06-01 11:00:00"}
    _write(
        source,
        [
            {
                "email": "new.person@gmail.com",
                "first_name": "New",
                "last_name": "Person",
                "postcode": "sw1a1aa",
                "bulletin_consent": "yes",
                "labour_member": "Yes",
                **signed,
            },
            {"email": "newperson+tag@googlemail.com", "first_name": "Same", "last_name": "Again"},
            {"email": "KNOWN@example.org", "first_name": "Known", "last_name": "Already"},
            {"email": "bulletin@example.org", "bulletin_consent": "no", "country": "France"},
            {"email": "not-an-address", "first_name": "Bad"},
            {"email": "bad-postcode@example.org", "postcode": "XYZ"},
            {"email": "nameless@example.org", **signed},
        ],
    )
    result = runner.invoke(args=["supporters", "import", str(source), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Created 2 supporters (1 confirmed signature counted)" in result.output
    assert "skipped 2 already known (1 in the database, 1 repeated in the file)" in result.output
    assert "3 invalid" in result.output and "line 7" in result.output
    with app.app_context():
        emails = set(db.session.scalars(sa.select(Supporter.email_canonical)))
        assert emails == {"known@example.org", "newperson@gmail.com", "bulletin@example.org"}
        person = db.session.scalar(
            sa.select(Supporter).where(Supporter.email_canonical == "newperson@gmail.com")
        )
        assert person.email == "new.person@gmail.com" and person.postcode == "SW1A 1AA"
        assert person.region == "london" and person.labour_member == "yes"
        assert person.counted and person.bulletin_consent
        assert read_tallies("signatures")["signatures"] == 1
    [record] = audit_rows(app, "supporters.imported")
    assert record.actor == "cli" and record.target == "old-list.csv"
    assert record.details == {
        "created": 2,
        "counted": 1,
        "duplicates_in_table": 1,
        "duplicates_in_file": 1,
        "invalid": 3,
    }


def test_export_then_import_round_trip(app, runner, tmp_path):
    with app.app_context():
        add_supporter(email="=sum@example.org", first_name="=Sum", last_name="Person")
        db.session.commit()
    out = tmp_path / "export.csv"
    assert runner.invoke(args=["supporters", "export", "--out", str(out)]).exit_code == 0
    with app.app_context():
        db.session.execute(sa.delete(Supporter))
        db.session.commit()
    result = runner.invoke(args=["supporters", "import", str(out), "--yes"])
    assert result.exit_code == 0
    assert "Created 1 supporter (1 confirmed signature counted)" in result.output
    with app.app_context():
        person = db.session.scalar(sa.select(Supporter))
        assert person.first_name == "=Sum" and person.email == "=sum@example.org"


def test_import_refuses_a_file_without_header(app, runner, tmp_path):
    source = tmp_path / "nonsense.csv"
    source.write_text("just,some,words\n1,2,3\n")
    result = runner.invoke(args=["supporters", "import", str(source)])
    assert result.exit_code != 0 and "header" in result.output
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"email\n\xff\xfe\xfa@x.org\n")
    assert runner.invoke(args=["supporters", "import", str(binary)]).exit_code != 0
    assert audit_rows(app, "supporters.imported") == []


# --- the sign form's checks, and nothing imported before the preview is accepted ------------


def _state(app) -> dict:
    with app.app_context():
        return {
            "supporters": sorted(db.session.scalars(sa.select(Supporter.email_canonical))),
            "tallies": read_tallies("signatures"),
            "audit": len(audit_rows(app, "supporters.imported")),
        }


def test_import_refuses_what_the_sign_form_refuses_by_line(app, runner, tmp_path):
    import datetime as dt

    next_year = (dt.date.today() + dt.timedelta(days=366)).isoformat()
    signed = {"signed_at": "2025-06-01 10:00:00", "confirmed_at": "2025-06-01 11:00:00"}
    source = tmp_path / "old-list.csv"
    _write(
        source,
        [
            {
                "email": "ok@example.org",
                "first_name": "Łukasz",
                "last_name": "Ok",
                "postcode": "ls1 1ur",
                **signed,
            },
            {
                "email": "future@example.org",
                "first_name": "F",
                "last_name": "Uture",
                "postcode": "SW1A 1AA",
                "signed_at": f"{next_year} 10:00:00",
                "confirmed_at": f"{next_year} 11:00:00",
            },
            {
                "email": "jersey@example.org",
                "first_name": "J",
                "last_name": "Ersey",
                "postcode": "JE2 3AB",
                **signed,
            },
            {
                "email": "control@example.org",
                "first_name": "Bad\u202ename",
                "last_name": "X",
                "postcode": "SW1A 1AA",
                **signed,
            },
            {
                "email": "long@example.org",
                "first_name": "A" * 101,
                "last_name": "X",
                "postcode": "SW1A 1AA",
                **signed,
            },
            {"email": "nopostcode@example.org", "first_name": "No", "last_name": "Where", **signed},
            {"email": "ukcountry@example.org", "country": "United Kingdom"},
            {
                "email": "backwards@example.org",
                "first_name": "B",
                "last_name": "W",
                "postcode": "SW1A 1AA",
                "signed_at": "2025-06-02 10:00:00",
                "confirmed_at": "2025-06-01 10:00:00",
            },
        ],
    )
    before = _state(app)
    dry = runner.invoke(args=["supporters", "import", str(source), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would create 1 supporter (1 confirmed signature counted)" in dry.output
    assert "7 invalid" in dry.output
    for expected in (
        "line 3: signed at: ",
        "is in the future",
        "line 4: postcode: We do not recognise that postcode area",
        "line 5: first name: Remove the invisible control characters",
        "line 6: first name: Keep this to 100 characters or fewer",
        "line 7: postcode: Enter your postcode",
        "line 8: country: If you live in the UK",
        "line 9: confirmed at: earlier than signed at",
    ):
        assert expected in dry.output, expected
    assert "Nothing was imported." in dry.output
    assert _state(app) == before  # the preview changed nothing

    declined = runner.invoke(args=["supporters", "import", str(source)], input="n\n")
    assert "Import 1 supporter?" in declined.output and "Nothing was imported." in declined.output
    assert _state(app) == before

    accepted = runner.invoke(args=["supporters", "import", str(source)], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "Created 1 supporter" in accepted.output
    after = _state(app)
    assert after["supporters"] == ["ok@example.org"]
    assert after["tallies"]["signatures"] == 1 and after["audit"] == 1


# --- the upload in the room ---------------------------------------------------------------


def _upload(client, content: bytes):
    import io

    return client.post(
        "/organisers/supporters/import",
        data={
            "csrf_token": token(client, "/organisers/supporters/import"),
            "file": (io.BytesIO(content), "list.csv"),
        },
        content_type="multipart/form-data",
    )


GOOD_AND_BAD = (
    "email,first_name,last_name,postcode,signed_at,confirmed_at,bulletin_consent\n"
    "lukasz@example.org,Łukasz,Nowak,LS1 1UR,2025-06-01 10:00:00,2025-06-01 11:00:00,yes\n"
    "bad@example.org,B,Ad,XYZ,2025-06-01 10:00:00,2025-06-01 11:00:00,yes\n"
)


def test_upload_previews_then_imports_only_when_accepted(app, organiser_client):
    import html
    import re

    before = _state(app)
    preview = _upload(organiser_client, GOOD_AND_BAD.encode())
    assert preview.status_code == 200
    assert "1 to import (1 confirmed signatures to count)" in preview.text
    assert "Line 3: postcode: Enter a UK postcode such as SW1A 1AA." in preview.text
    assert _state(app) == before  # the preview changed nothing
    text = html.unescape(re.search(r'name="csv" type="hidden" value="([^"]*)"', preview.text)[1])
    done = organiser_client.post(
        "/organisers/supporters/import/commit",
        data={"csrf_token": csrf_from(preview.text), "csv": text, "filename": "list.csv"},
    )
    assert done.status_code == 302
    after = _state(app)
    assert after["supporters"] == ["lukasz@example.org"]
    assert after["tallies"]["signatures"] == 1
    [record] = audit_rows(app, "supporters.imported")
    assert record.actor == "organiser@campaign.example" and record.details["invalid"] == 1


def test_upload_refuses_files_it_cannot_read(app, organiser_client):
    before = _state(app)
    latin = _upload(organiser_client, "email,first_name\nzoe@example.org,Zoë\n".encode("cp1252"))
    assert latin.status_code == 422 and "not UTF-8" in latin.text
    headless = _upload(organiser_client, b"just,some,words\n1,2,3\n")
    assert headless.status_code == 422 and "header row" in headless.text
    big = _upload(organiser_client, b"email\n" + b"x@example.org\n" * 16_000)
    assert big.status_code == 422 and "larger than 200 KB" in big.text
    assert _state(app) == before


def test_a_moderator_cannot_import_supporters(app, client):
    make_organiser(app, "mod@campaign.example", "moderator")
    log_in(client, "mod@campaign.example")
    assert client.get("/organisers/supporters/import").status_code == 403
    assert client.post("/organisers/supporters/import/commit", data={}).status_code in (400, 403)
