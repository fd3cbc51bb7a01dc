"""Exports: CSV and XLSX read back, formulas neutralised, consent by default, audit-logged."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from campaign.extensions import db
from campaign.organisers.supporters import EXPORT_COLUMNS
from tests.support.factories import ADMIN_EMAIL, ORGANISER_EMAIL, add_supporter
from tests.support.reads import audit_rows
from tests.support.web import token

TODAY = dt.date.today().isoformat()


@pytest.fixture
def supporters(app):
    """Two who consented (one with formula-like fields), one who did not, one unsubscribed."""
    with app.app_context():
        add_supporter(
            email="ada@example.org",
            first_name="Ada",
            last_name="Lovelace",
            trade_union="Unite",
            referred_by="abcdefgh",
            signed_at=dt.datetime(2026, 1, 2, 3, 4, 5),
            confirmed_at=dt.datetime(2026, 1, 2, 4, 0, 0),
        )
        add_supporter(
            email="=cmd@example.org",
            first_name='=HYPERLINK("x")',
            last_name="+Plus",
            trade_union="@union",
            postcode=None,
            region="wales",
            country=None,
        )
        add_supporter(email="quiet@example.org", bulletin_consent=False)
        add_supporter(email="gone@example.org", unsubscribed_at=dt.datetime(2026, 1, 3))
        add_supporter(email="pending@example.org", confirmed_at=None)
        db.session.commit()


def _post_export(client, **fields):
    data = {
        "csrf_token": token(client, "/organisers/export"),
        "format": "csv",
        "scope": "consented",
        **fields,
    }
    return client.post("/organisers/export", data=data)


def test_csv_export_reads_back_with_consented_rows_only(app, organiser_client, supporters):
    response = _post_export(organiser_client)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="supporters-{TODAY}.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8"))))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    by_email = {row[0]: dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert set(by_email) == {"ada@example.org", "'=cmd@example.org"}
    ada = by_email["ada@example.org"]
    assert ada == {
        "email": "ada@example.org",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "postcode": "SW1A 1AA",
        "region": "London",
        "country": "",
        "labour_member": "yes",
        "union": "Unite",
        "bulletin_consent": "yes",
        "signed_at": "2026-01-02 03:04:05",
        "confirmed_at": "2026-01-02 04:00:00",
        "referral_source": "abcdefgh",
    }
    formula = by_email["'=cmd@example.org"]
    assert formula["first_name"] == '\'=HYPERLINK("x")'
    assert formula["last_name"] == "'+Plus" and formula["union"] == "'@union"
    [record] = audit_rows(app, "supporters.exported")
    assert record.actor == ORGANISER_EMAIL and record.details["rows"] == 2
    assert record.details["scope"] == "consented" and record.details["format"] == "csv"


def test_xlsx_export_reads_back_with_openpyxl(app, organiser_client, supporters):
    response = _post_export(organiser_client, format="xlsx", region="wales")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'supporters-{TODAY}.xlsx"')
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == EXPORT_COLUMNS
    assert len(rows) == 2
    # Text cells hold the text itself (no apostrophe shown) and are never formulas.
    assert rows[1][0] == "=cmd@example.org" and rows[1][1] == '=HYPERLINK("x")'
    assert rows[1][2] == "+Plus" and rows[1][7] == "@union"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    [record] = audit_rows(app, "supporters.exported")
    assert record.details["filters"] == {"region": "wales"} and record.details["rows"] == 1


def test_admin_exports_everyone_only_with_a_reason(app, admin_client, supporters):
    refused = _post_export(admin_client, scope="all")
    assert refused.status_code == 422 and "Say why" in refused.text
    assert audit_rows(app, "supporters.exported") == []
    response = _post_export(admin_client, scope="all", reason="Annual data audit")
    rows = list(csv.reader(io.StringIO(response.get_data().decode())))
    assert len(rows) == 1 + 5
    [record] = audit_rows(app, "supporters.exported")
    assert record.actor == ADMIN_EMAIL and record.details["reason"] == "Annual data audit"
    assert record.details["rows"] == 5 and record.details["scope"] == "all"


def test_organiser_cannot_export_everyone(app, organiser_client, supporters):
    response = _post_export(organiser_client, scope="all", reason="I want them all")
    assert response.status_code == 403
    assert audit_rows(app, "supporters.exported") == []


@pytest.mark.parametrize(
    "fields", [{"format": "pdf"}, {"scope": "some"}, {"region": "mars"}, {"since": "soon"}]
)
def test_nonsense_export_fields_are_refused(app, organiser_client, supporters, fields):
    response = _post_export(organiser_client, **fields)
    assert response.status_code == 422
    assert audit_rows(app, "supporters.exported") == []


def test_export_page_is_prefilled_from_the_list(organiser_client):
    html = organiser_client.get("/organisers/export?region=wales&consent=yes").text
    assert '<option selected value="wales">' in html
    assert 'hx-boost="false"' in html


def test_cli_export_with_filters_and_progress(app, runner, supporters, tmp_path):
    out = tmp_path / "list.csv"
    result = runner.invoke(args=["supporters", "export", "--out", str(out), "--region", "london"])
    assert result.exit_code == 0, result.output
    # One row is "1 supporter", in the progress label and the summary alike.
    assert result.output.splitlines() == ["Exporting 1 supporter", f"Wrote 1 supporter to {out}."]
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert [r[0] for r in rows[1:]] == ["ada@example.org"]
    xlsx = tmp_path / "all.xlsx"
    refused = runner.invoke(args=["supporters", "export", "--out", str(xlsx), "--everyone"])
    assert refused.exit_code != 0 and not xlsx.exists()
    result = runner.invoke(
        args=["supporters", "export", "--out", str(xlsx), "--everyone", "--reason", "audit"]
    )
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(xlsx).active.max_row == 6
    records = audit_rows(app, "supporters.exported")
    assert [(r.actor, r.details["rows"], r.details["format"]) for r in records] == [
        ("cli", 1, "csv"),
        ("cli", 5, "xlsx"),
    ]


def test_download_and_cli_write_the_same_audit_record(app, admin_client, runner, tmp_path):
    # One recipe: an auditor reading the log sees the same fields whichever way it was run.
    with app.app_context():
        add_supporter(email="ada@example.org", region="london", bulletin_consent=True)
        add_supporter(email="quiet@example.org", region="london", bulletin_consent=False)
        db.session.commit()
    response = _post_export(admin_client, region="london", scope="all", reason="Data audit")
    assert response.status_code == 200
    out = tmp_path / "london.csv"
    args = ["supporters", "export", "--out", str(out), "--region", "london", "--everyone"]
    result = runner.invoke(args=[*args, "--reason", "Data audit"])
    assert result.exit_code == 0, result.output
    web, cli = audit_rows(app, "supporters.exported")
    assert (web.actor, cli.actor) == (ADMIN_EMAIL, "cli")
    assert (
        web.details
        == cli.details
        == {
            "format": "csv",
            "filters": {"region": "london"},
            "scope": "all",
            "reason": "Data audit",
            "rows": 2,
        }
    )
    assert web.target.startswith("supporters-") and cli.target == "london.csv"
