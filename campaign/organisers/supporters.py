"""Finding supporters (search, filters, keyset pages) and exporting or importing them."""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import itertools
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import IO, Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from werkzeug.datastructures import MultiDict

from campaign.appeal.forms import ImportedDetailsForm
from campaign.appeal.models import LABOUR_MEMBER_CHOICES, Supporter
from campaign.email_address import InvalidEmail, normalise_email
from campaign.extensions import db
from campaign.forms import CONTROL
from campaign.models import utcnow
from campaign.organisers.audit import record_audit
from campaign.organisers.features import new_referral_code
from campaign.regions import OUTSIDE_UK, REGIONS, normalise_postcode, region_for_postcode
from campaign.tally import count_signature

PAGE_SIZE = 50
EXPORT_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "postcode",
    "region",
    "country",
    "labour_member",
    "union",
    "bulletin_consent",
    "signed_at",
    "confirmed_at",
    "referral_source",
)
UNKNOWN_MEMBER = "unknown"
MEMBER_FILTERS = (*LABOUR_MEMBER_CHOICES, UNKNOWN_MEMBER)
REGION_FILTERS = (*REGIONS, OUTSIDE_UK)
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CHARACTERS = "".join(FORMULA_STARTS)
EXPORT_BATCH = 2000
CLOCK_SKEW = dt.timedelta(minutes=5)  # a date this far ahead is a clock's error, not a lie
OUTWARD_CODE = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")


@dataclass(frozen=True)
class SupporterFilters:
    """The filters of the supporters list and of exports; None means "any"."""

    region: str | None = None  # a region slug or "outside-uk"
    confirmed: bool | None = None
    consent: bool | None = None  # bulletin consent given and not withdrawn
    member: str | None = None  # yes, no, lapsed or unknown
    since: dt.date | None = None  # signed up on or after
    until: dt.date | None = None  # signed up on or before

    def described(self) -> dict[str, Any]:
        """The filters that are set, for the audit log and links."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def consented() -> sa.ColumnElement[bool]:
    """Supporters who may be contacted: confirmed, bulletin consent, not unsubscribed."""
    return sa.and_(
        Supporter.confirmed_at.is_not(None),
        Supporter.bulletin_consent.is_(True),
        Supporter.unsubscribed_at.is_(None),
    )


def apply_filters(query: sa.Select, filters: SupporterFilters) -> sa.Select:
    """Narrow a select over supporters by the filters."""
    if filters.region == OUTSIDE_UK:
        query = query.where(Supporter.region.is_(None))
    elif filters.region:
        query = query.where(Supporter.region == filters.region)
    if filters.confirmed is True:
        query = query.where(Supporter.confirmed_at.is_not(None))
    elif filters.confirmed is False:
        query = query.where(Supporter.confirmed_at.is_(None))
    if filters.consent is True:
        query = query.where(consented())
    elif filters.consent is False:
        query = query.where(sa.not_(consented()))
    if filters.member == UNKNOWN_MEMBER:
        query = query.where(Supporter.labour_member.is_(None))
    elif filters.member:
        query = query.where(Supporter.labour_member == filters.member)
    if filters.since:
        query = query.where(Supporter.created_at >= dt.datetime.combine(filters.since, dt.time()))
    if filters.until:
        end = dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time())
        query = query.where(Supporter.created_at < end)
    return query


def _starts_with(column: Any, prefix: str) -> sa.ColumnElement[bool]:
    # A prefix match that an index serves: LIKE with the pattern_ops index on PostgreSQL;
    # on SQLite (whose LIKE ignores case and so skips a plain index) a range, which the
    # byte-wise ordering makes exact.
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.and_(column >= prefix, column < prefix + "\U0010ffff")
    return column.startswith(prefix, autoescape=True)


def apply_search(query: sa.Select, text: str | None) -> sa.Select:
    """Narrow by an e-mail address, a postcode (whole or outward part) or a name."""
    text = (text or "").strip()
    if not text:
        return query
    if "@" in text:
        try:
            return query.where(Supporter.email_canonical == normalise_email(text)[1])
        except InvalidEmail:
            return query.where(_starts_with(Supporter.email_canonical, text.lower()))
    postcode = normalise_postcode(text)
    if postcode:
        return query.where(Supporter.postcode == postcode)
    if OUTWARD_CODE.fullmatch(text.upper().replace(" ", "")):
        return query.where(_starts_with(Supporter.postcode, text.upper().replace(" ", "") + " "))
    words = text.split()
    last_text = " ".join(words[1:]) or words[0]
    last = sa.or_(
        *(
            _starts_with(sa.func.lower(Supporter.last_name), needle)
            for needle in lowered_forms(last_text)
        )
    )
    if len(words) > 1:
        # "Jane Smith": the first word is the first name, the rest the last name.
        first = sa.func.lower(Supporter.first_name).in_(lowered_forms(words[0]))
        return query.where(last, first)
    return query.where(last)


ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lowered_forms(text: str) -> list[str]:
    """What the database's lower() may have made of a name typed as `text`, in any case.

    SQLite's lower() (and PostgreSQL's under the C locale) folds only A-Z, so a stored
    "Łukasz" is indexed as "Łukasz", not "łukasz". The name is looked up as it would be
    written (as typed, lower case, capitalised, upper case), each folded the ASCII-only
    way, besides the full Unicode lower case a Unicode-aware lower() gives; every form is
    an index range, so the search stays as cheap as one.
    """
    spellings = {text, text.lower(), text.capitalize(), text.title(), text.upper()}
    forms = {text.lower()} | {spelling.translate(ASCII_LOWER) for spelling in spellings}
    return sorted(forms)


# --- keyset pages ----------------------------------------------------------------------


class BadCursor(ValueError):
    """A page cursor that this site did not make."""


def encode_cursor(supporter: Supporter) -> str:
    """The cursor for the page after this supporter (newest first)."""
    raw = f"{supporter.created_at.isoformat()}|{supporter.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """The (created_at, id) a cursor points after, or BadCursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, ident = raw.split("|")
        if not (ident.isascii() and ident.isdigit() and int(ident) < 2**63):
            raise ValueError("id out of range")
        return dt.datetime.fromisoformat(when), int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursor("That page link is not valid.") from exc


@dataclass
class SupporterPage:
    """One page of the supporters list and the cursor of the next, if there is one."""

    supporters: list[Supporter] = field(default_factory=list)
    next_cursor: str | None = None


def supporter_page(
    filters: SupporterFilters,
    search: str | None = None,
    after: str | None = None,
    size: int = PAGE_SIZE,
    only: sa.ColumnElement[bool] | None = None,
) -> SupporterPage:
    """A page of supporters, newest first, after the cursor; it costs the same on every page.

    `only` narrows the list to the supporters the viewer may see (see disclosure.py).
    """
    query = apply_search(apply_filters(sa.select(Supporter), filters), search)
    if only is not None:
        query = query.where(only)
    if after:
        created_at, ident = decode_cursor(after)
        query = query.where(
            sa.tuple_(Supporter.created_at, Supporter.id) < sa.tuple_(created_at, ident)
        )
    query = query.order_by(Supporter.created_at.desc(), Supporter.id.desc()).limit(size + 1)
    rows = list(db.session.scalars(query))
    more = len(rows) > size
    rows = rows[:size]
    return SupporterPage(rows, encode_cursor(rows[-1]) if more and rows else None)


# --- export ----------------------------------------------------------------------------


def neutralise(value: str | None) -> str:
    """A cell value a spreadsheet will not run as a formula (a leading apostrophe if needed)."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _timestamp_text(column: Any) -> sa.ColumnElement[str]:
    # Formatted by the database ("2026-11-24 10:00:00", UTC): parsing a million datetimes
    # in Python only to print them again would halve the export's speed.
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.type_coerce(sa.func.substr(column, 1, 19), sa.String)
    return sa.func.to_char(column, "YYYY-MM-DD HH24:MI:SS")


def export_query(filters: SupporterFilters, consented_only: bool = True) -> sa.Select:
    """The export's columns as plain values (no ORM objects) for the filtered supporters."""
    subscribed = sa.and_(Supporter.bulletin_consent.is_(True), Supporter.unsubscribed_at.is_(None))
    query = sa.select(
        Supporter.email,
        Supporter.first_name,
        Supporter.last_name,
        Supporter.postcode,
        Supporter.region,
        Supporter.country,
        Supporter.labour_member,
        Supporter.trade_union,
        sa.case((subscribed, "yes"), else_="no"),
        _timestamp_text(Supporter.signed_at),
        _timestamp_text(Supporter.confirmed_at),
        Supporter.referred_by,
    )
    query = apply_filters(query, filters)
    if consented_only:
        query = query.where(consented())
    return query.order_by(Supporter.id)


def count_export(filters: SupporterFilters, consented_only: bool = True) -> int:
    """How many rows the export will hold."""
    subquery = export_query(filters, consented_only).order_by(None).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(subquery)) or 0


def export_rows(filters: SupporterFilters, consented_only: bool = True) -> Iterator[tuple]:
    """The export's rows as tuples of strings, streamed in batches (a server-side cursor).

    Core rows, not ORM objects, and the formula check written out inline: this loop runs
    a million times for a full export.
    """
    # The option goes on the statement: Connection.execution_options() would change the
    # session's connection in place, and every later statement of the transaction (the
    # audit record's INSERT) would then run through a server-side cursor on PostgreSQL.
    result = db.session.connection().execute(
        export_query(filters, consented_only).execution_options(yield_per=EXPORT_BATCH)
    )
    regions, starts = REGIONS, FORMULA_CHARACTERS
    for row in result:
        (
            email,
            first,
            last,
            postcode,
            region,
            country,
            member,
            union,
            consent,
            signed,
            confirmed,
            ref,
        ) = row
        yield (
            "'" + email if email[:1] in starts and email else email,
            ("'" + first if first[:1] in starts else first) if first else "",
            ("'" + last if last[:1] in starts else last) if last else "",
            postcode or "",  # normalised, always starts with a letter
            regions.get(region, "") if region else "",
            ("'" + country if country[:1] in starts else country) if country else "",
            member or "",
            ("'" + union if union[:1] in starts else union) if union else "",
            consent,
            signed or "",
            confirmed or "",
            ("'" + ref if ref[:1] in starts else ref) if ref else "",
        )


def csv_chunks(
    rows: Iterable[tuple], batch: int = EXPORT_BATCH, bom: bool = False
) -> Iterator[bytes]:
    """UTF-8 CSV with a header row, yielded a batch of rows at a time.

    With `bom`, the file starts with the UTF-8 byte-order mark, which is how Excel knows
    to read it as UTF-8 (without it, "Łukasz" opens as two garbled letters and "ukasz").
    """
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    rows = iter(rows)
    while True:
        writer.writerows(itertools.islice(rows, batch))
        chunk = buffer.getvalue()
        if not chunk:
            return
        yield chunk.encode()
        buffer.seek(0)
        buffer.truncate()


def _xlsx_text(sheet: Any, value: str) -> Any:
    """A cell that holds `value` as text: no formula guard shown, nothing ever evaluated.

    An XLSX cell says what it holds, and a text cell is never run as a formula, so the
    apostrophe the rows carry for CSV (see `export_rows`) is taken off again here; only a
    text starting with "=" needs saying so, as openpyxl would otherwise store a formula.
    """
    if value[:1] == "'" and value[1:2] in FORMULA_CHARACTERS and value[1:2]:
        value = value[1:]
    if value[:1] != "=":
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def xlsx_chunks(rows: Iterable[tuple], chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """An XLSX workbook built in write-only mode in a temporary file, then read out in chunks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Supporters")
    sheet.append(EXPORT_COLUMNS)
    for row in rows:
        sheet.append([_xlsx_text(sheet, ILLEGAL_CHARACTERS_RE.sub("", cell)) for cell in row])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk
    finally:
        os.unlink(path)


def export_filename(kind: str, today: dt.date | None = None) -> str:
    """A dated file name such as supporters-2026-11-24.csv."""
    return f"supporters-{(today or dt.date.today()).isoformat()}.{kind}"


@dataclass(frozen=True)
class AuditedExport:
    """An export that is counted and on the audit log: what is left is writing its bytes."""

    filters: SupporterFilters
    consented_only: bool
    kind: str  # "csv" or "xlsx"
    filename: str
    rows: int
    bom: bool = False  # a CSV starting with the byte-order mark Excel needs

    def chunks(
        self, watch: Callable[[Iterable[tuple]], Iterable[tuple]] = lambda rows: rows
    ) -> Iterator[bytes]:
        """The file's bytes, streamed; `watch` sees the rows on their way (a progress bar)."""
        rows = watch(export_rows(self.filters, self.consented_only))
        return csv_chunks(rows, bom=self.bom) if self.kind == "csv" else xlsx_chunks(rows)


def audited_export(
    actor: str,
    filters: SupporterFilters,
    kind: str,
    everyone: bool = False,
    reason: str | None = None,
    filename: str | None = None,
    bom: bool = False,
) -> AuditedExport:
    """Count an export and commit its audit record, before a byte of it is written.

    The one recipe of the organisers' download and `flask supporters export`: the record
    holds the rows it will contain, and `everyone` (supporters who did not consent to
    contact too) is allowed only with a reason, which the record keeps.
    """
    reason = (reason or "").strip() or None
    if everyone and reason is None:
        raise ValueError("Exporting everyone needs a reason.")
    export = AuditedExport(
        filters=filters,
        consented_only=not everyone,
        kind=kind,
        filename=filename or export_filename(kind),
        rows=count_export(filters, consented_only=not everyone),
        bom=bom,
    )
    record_audit(
        "supporters.exported",
        actor,
        target=export.filename,
        format="csv-excel" if bom else kind,
        filters=filters.described(),
        scope="all" if everyone else "consented",
        reason=reason if everyone else None,
        rows=export.rows,
    )
    db.session.commit()
    return export


# --- import ----------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did: rows created, skipped as duplicates, refused as invalid."""

    created: int = 0
    counted: int = 0  # of the created, confirmed signatures now in the counters
    duplicates_in_table: int = 0
    duplicates_in_file: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line, why)

    @property
    def skipped(self) -> int:
        return self.duplicates_in_table + self.duplicates_in_file


TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0", ""}
MEMBER_WORDS = {
    **{k: k for k in LABOUR_MEMBER_CHOICES},
    **{v.lower(): k for k, v in LABOUR_MEMBER_CHOICES.items()},
}


class InvalidRow(ValueError):
    """A row of an import file that cannot be stored; the message says why."""


def _unneutralise(value: str) -> str:
    # Our own export's apostrophe in front of a formula-like value.
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _raw(row: dict[str, str], column: str) -> str:
    return _unneutralise((row.get(column) or "").strip())


def _text(row: dict[str, str], column: str, limit: int) -> str | None:
    value = _unneutralise(" ".join((row.get(column) or "").split()))
    if CONTROL.search(value):
        raise InvalidRow(f"{column} has control characters")
    if len(value) > limit:
        raise InvalidRow(f"{column} is longer than {limit} characters")
    return value or None


def _datetime(row: dict[str, str], column: str) -> dt.datetime | None:
    raw = (row.get(column) or "").strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidRow(f"{column} is not a date and time (YYYY-MM-DD HH:MM:SS)") from exc
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _form_errors(form: ImportedDetailsForm) -> str:
    return "; ".join(
        f"{name.replace('_', ' ')}: {errors[0]}" for name, errors in form.errors.items() if errors
    )


def supporter_from_row(row: dict[str, str], now: dt.datetime | None = None) -> Supporter:
    """A new Supporter from one import row (same columns as the export), or InvalidRow.

    The row gets the sign form's own checks (names, postcode and its area, country), and
    dates that cannot be true (in the future, confirmed before signed) are refused.
    """
    try:
        address, canonical = normalise_email(_unneutralise((row.get("email") or "").strip()))
    except InvalidEmail as exc:
        raise InvalidRow(str(exc)) from exc
    member_text = (_text(row, "labour_member", 30) or "").lower()
    if member_text and member_text not in MEMBER_WORDS:
        raise InvalidRow("labour member: must be yes, no or lapsed")
    consent_text = (row.get("bulletin_consent") or "").strip().lower()
    if consent_text not in TRUE_WORDS | FALSE_WORDS:
        raise InvalidRow("bulletin consent: must be yes or no")
    signed_at = _datetime(row, "signed_at")
    confirmed_at = _datetime(row, "confirmed_at")
    latest = (now or utcnow()) + CLOCK_SKEW
    for column, value in (("signed_at", signed_at), ("confirmed_at", confirmed_at)):
        if value and value > latest:
            raise InvalidRow(f"{column.replace('_', ' ')}: {value:%Y-%m-%d} is in the future")
    if signed_at and confirmed_at and confirmed_at < signed_at:
        raise InvalidRow("confirmed at: earlier than signed at")
    # As typed: the form says what is wrong with them, in its own words.
    postcode_text = _raw(row, "postcode")
    country = _raw(row, "country")
    fields = {
        "first_name": _raw(row, "first_name"),
        "last_name": _raw(row, "last_name"),
        "postcode": postcode_text,
        "country": country,
        "labour_member": MEMBER_WORDS.get(member_text, ""),
        "trade_union": _raw(row, "union"),
    }
    if country and not postcode_text:
        fields["outside_uk"] = "y"
    form = ImportedDetailsForm(
        MultiDict({k: v for k, v in fields.items() if v}), signature=bool(signed_at)
    )
    if not form.validate():
        raise InvalidRow(_form_errors(form))
    postcode = form.postcode.data or None
    supporter = Supporter(
        email=address,
        email_canonical=canonical,
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        postcode=postcode,
        region=region_for_postcode(postcode) if postcode else None,
        country=None if postcode else form.country.data,
        labour_member=form.labour_member.data or None,
        trade_union=form.trade_union.data,
        bulletin_consent=consent_text in TRUE_WORDS,
        signed_at=signed_at,
        confirmed_at=confirmed_at,
        referral_code=new_referral_code(),
        referred_by=_text(row, "referral_source", 16),
        show_publicly=False,
    )
    if supporter.confirmed_at:
        supporter.created_at = min(supporter.confirmed_at, supporter.signed_at or dt.datetime.max)
    return supporter


def import_supporters(
    stream: IO[str],
    progress: Callable[[int], None] | None = None,
    batch: int = 500,
    dry_run: bool = False,
) -> ImportReport:
    """Add the supporters of a CSV file that are not already known (the caller commits).

    Duplicates are found by canonical e-mail, against the table and within the file.
    Confirmed signatures are counted; the file's confirmed_at is kept as it is. With
    `dry_run` the same report is made from reads alone: nothing is added or counted.
    """
    reader = csv.DictReader(stream)
    if not reader.fieldnames or "email" not in reader.fieldnames:
        raise InvalidRow("the file has no header row with an email column")
    report = ImportReport()
    seen: set[str] = set()
    pending: list[Supporter] = []

    def store() -> None:
        known = set(
            db.session.scalars(
                sa.select(Supporter.email_canonical).where(
                    Supporter.email_canonical.in_([s.email_canonical for s in pending])
                )
            )
        )
        for supporter in pending:
            if supporter.email_canonical in known:
                report.duplicates_in_table += 1
                continue
            report.created += 1
            if supporter.signed_at and supporter.confirmed_at:
                report.counted += 1
            if dry_run:
                continue
            db.session.add(supporter)
            if supporter.signed_at and supporter.confirmed_at:
                count_signature(supporter, +1)
        if not dry_run:
            db.session.flush()
        if progress:
            progress(len(pending))
        pending.clear()

    for row in reader:
        try:
            supporter = supporter_from_row(row)
        except InvalidRow as exc:
            report.invalid.append((reader.line_num, str(exc)))
            if progress:
                progress(1)
            continue
        if supporter.email_canonical in seen:
            report.duplicates_in_file += 1
            if progress:
                progress(1)
            continue
        seen.add(supporter.email_canonical)
        pending.append(supporter)
        if len(pending) >= batch:
            store()
    if pending:
        store()
    return report
