"""Data that opens right where people open it: a CSV with the BOM Excel needs, XLSX cells
that hold text as text, and a search that finds non-ASCII names on either database."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl

from campaign.extensions import db
from tests.support.factories import add_supporter
from tests.support.web import token

LUKASZ = "Łukasz"


def _export(client, fmt: str):
    return client.post(
        "/organisers/export",
        data={
            "csrf_token": token(client, "/organisers/export"),
            "format": fmt,
            "scope": "consented",
        },
    )


def _people(app) -> None:
    with app.app_context():
        add_supporter(email="lukasz@example.org", first_name=LUKASZ, last_name="Żółkiewski")
        add_supporter(email="zoe@example.org", first_name="Zoë", last_name="Ångström")
        add_supporter(email="pat@example.org", first_name="Pat", last_name="Smith")
        add_supporter(email="eq@example.org", first_name="=1+1", last_name="-Minus")
        db.session.commit()


def test_csv_for_excel_starts_with_the_bom_and_plain_csv_does_not(app, organiser_client):
    _people(app)
    excel = _export(organiser_client, "csv-excel")
    assert excel.status_code == 200
    body = excel.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert LUKASZ in body.decode("utf-8-sig")  # what Excel shows, reading the BOM
    plain = _export(organiser_client, "csv").get_data()
    assert not plain.startswith(b"\xef\xbb\xbf") and LUKASZ in plain.decode("utf-8")
    # The mailing-tool CSV keeps the formula guard; only the file's first bytes differ.
    assert body[3:] == plain


def test_xlsx_holds_text_as_text_without_the_guard(app, organiser_client):
    _people(app)
    data = _export(organiser_client, "xlsx").get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = {c.value: c for row in sheet.iter_rows() for c in row if c.value}
    for text in ("=1+1", "-Minus", LUKASZ, "Żółkiewski", "Ångström"):
        assert cells[text].data_type == "s", text
    assert not any(str(v).startswith("'") for v in cells)
    # In the file itself: no formula element anywhere, so no spreadsheet will run one.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml


def test_search_finds_non_ascii_names_in_any_case(app, organiser_client):
    _people(app)

    def found(query: str) -> list[str]:
        html = organiser_client.get("/organisers/supporters", query_string={"q": query}).text
        return sorted(re.findall(r'/organisers/supporters/\d+">([^<]+)</a>', html))

    for query in ("Żółkiewski", "żółkiewski", "ŻÓŁKIEWSKI", "Żół", "żół"):
        assert found(query) == [f"{LUKASZ} Żółkiewski"], query
    for query in ("Ångström", "ångström", "ÅNG"):
        assert found(query) == ["Zoë Ångström"], query
    assert found("łukasz żółkiewski") == [f"{LUKASZ} Żółkiewski"]
    assert found("Zoë ångström") == ["Zoë Ångström"]
    assert found("smith") == ["Pat Smith"]
    assert found("Żx") == []


def test_cli_export_with_bom(app, runner, tmp_path):
    _people(app)
    out = tmp_path / "excel.csv"
    result = runner.invoke(args=["supporters", "export", "--out", str(out), "--bom"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
