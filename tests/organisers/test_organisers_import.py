"""`flask supporters import`: de-duplicates by canonical e-mail and reports what it did."""

from __future__ import annotations

import csv

import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.organisers.supporters import EXPORT_COLUMNS
from campaign.tally import read_tallies

from .conftest import add_supporter, audit_rows


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
    result = runner.invoke(args=["supporters", "import", str(source)])
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
    result = runner.invoke(args=["supporters", "import", str(out)])
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
