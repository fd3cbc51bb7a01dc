"""Importing groups that affiliated before the site existed, from a CSV file.

Two steps, so that nothing changes until an organiser has seen what will: `preview_groups`
reads and checks every row (with the same checks as the affiliation form) and sorts them
into created, skipped (a live group of the same name and kind exists, or an earlier line
has it) and refused (with the line number and why); `commit_groups` then adds the rows to
create, re-checking duplicates in its own transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from campaign.groups.affiliated import DuplicateGroup, add_affiliated_group, find_same_name_and_kind
from campaign.groups.forms import GroupDetailsForm
from campaign.groups.models import GROUP_KINDS, GROUP_REGIONS, NATIONAL, Group
from campaign.groups.services import normalise_group_name

# Within the site's request size limit (MAX_CONTENT_LENGTH, 256 KB) with room to spare;
# the alliance counts its groups in dozens.
MAX_ROWS = 1_000
MAX_BYTES = 200 * 1024
REQUIRED = ("name", "kind", "region", "contact_name", "contact_email")

# Header words (lower case, runs of anything else as "_") → the form's field names.
HEADER_ALIASES: dict[str, str] = {
    "name": "name",
    "group": "name",
    "group_name": "name",
    "name_of_the_group": "name",
    "kind": "kind",
    "type": "kind",
    "kind_of_group": "kind",
    "region": "region",
    "nation_or_region": "region",
    "town": "town",
    "city": "town",
    "town_or_city": "town",
    "website": "website",
    "web": "website",
    "url": "website",
    "contact": "contact_name",
    "contact_name": "contact_name",
    "email": "contact_email",
    "e_mail": "contact_email",
    "contact_email": "contact_email",
    "contact_e_mail": "contact_email",
    "phone": "contact_phone",
    "telephone": "contact_phone",
    "contact_phone": "contact_phone",
    "members": "members",
    "membership": "members",
    "approximate_members": "members",
    "decided_how": "decided_how",
    "how_decided": "decided_how",
    "how_the_affiliation_was_decided": "decided_how",
    "statement": "statement",
}
REPRESENTATIVE_HEADER = re.compile(r"(?:rep|representative)_?(\d+)(?:_(name|email|e_mail))?")
KIND_WORDS: dict[str, str] = {
    **{slug: slug for slug in GROUP_KINDS},
    **{labels[0].lower(): slug for slug, labels in GROUP_KINDS.items()},
    **{labels[1].lower(): slug for slug, labels in GROUP_KINDS.items()},
    "local left group": "local-left-group",
    "labour left group": "local-left-group",
    "momentum": "momentum-branch",
    "clp": "clp",
    "union": "trade-union",
    "trade union": "trade-union",
    "national organisation": "national-organisation",
}
REGION_WORDS: dict[str, str] = {
    **{slug: slug for slug in GROUP_REGIONS},
    **{label.lower(): slug for slug, label in GROUP_REGIONS.items()},
    "uk": NATIONAL,
    "uk-wide": NATIONAL,
    "national": NATIONAL,
}


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (not CSV, not UTF-8, no usable header, too big)."""


@dataclass
class PlannedGroup:
    line: int
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data["name"])


@dataclass
class GroupImportPreview:
    """What an import would do; nothing has changed yet."""

    created: list[PlannedGroup] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, name, why)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.created) + len(self.skipped) + len(self.refused)


def decode_upload(raw: bytes) -> str:
    """The file's text: UTF-8 (with or without Excel's BOM), within the size limit."""
    if len(raw) > MAX_BYTES:
        raise ImportFileError(
            f"The file is larger than {MAX_BYTES // 1024} KB; split it into smaller files."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read). In Excel, "
            "save it as “CSV UTF-8 (Comma delimited)”."
        ) from exc


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def match_header(header: list[str]) -> tuple[dict[int, str], list[str]]:
    """Column index → form field name, and the columns no field matches."""
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        key = _header_key(title)
        if key in HEADER_ALIASES:
            mapping[index] = HEADER_ALIASES[key]
        elif match := REPRESENTATIVE_HEADER.fullmatch(key):
            number = int(match.group(1)) if len(match.group(1)) <= 3 else 999
            part = "email" if (match.group(2) or "name") != "name" else "name"
            mapping[index] = f"representatives-{number - 1}-{part}"
        elif key:
            ignored.append(title.strip())
    taken = set(mapping.values())
    missing = [name for name in REQUIRED if name not in taken]
    if missing:
        raise ImportFileError(
            "The header row has no column for: "
            + ", ".join(m.replace("_", " ") for m in missing)
            + ". The first line must name the columns, e.g. name, kind, region, contact_name, "
            "contact_email."
        )
    return mapping, ignored


def _formdata(row: list[str], mapping: dict[int, str]) -> MultiDict[str, str]:
    data: MultiDict[str, str] = MultiDict()
    for index, name in mapping.items():
        value = row[index].strip() if index < len(row) else ""
        if name == "kind":
            value = KIND_WORDS.get(" ".join(value.lower().split()), value)
        elif name == "region":
            value = REGION_WORDS.get(" ".join(value.lower().split()), value)
        if value:
            data.add(name, value)
    return data


def preview_groups(text: str, progress: Callable[[int], None] | None = None) -> GroupImportPreview:
    """Check every row of the CSV text with the organisers' group form; change nothing."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise ImportFileError("The file is empty: the first line must name the columns.")
        mapping, ignored = match_header(header)
        preview = GroupImportPreview(ignored_columns=ignored)
        seen: dict[tuple[str, str], int] = {}
        for row in reader:
            line = reader.line_num
            if progress:
                progress(1)
            if not any(cell.strip() for cell in row):
                continue
            if preview.rows >= MAX_ROWS:
                raise ImportFileError(
                    f"The file has more than {MAX_ROWS:,} groups; split it into smaller files."
                )
            form = GroupDetailsForm(_formdata(row, mapping), meta={"csrf": False})
            _check_row(preview, seen, line, form)
    except csv.Error as exc:
        line = reader.line_num
        raise ImportFileError(f"Line {line}: the file is not valid CSV ({exc}).") from exc
    return preview


def _check_row(
    preview: GroupImportPreview,
    seen: dict[tuple[str, str], int],
    line: int,
    form: GroupDetailsForm,
) -> None:
    if not form.validate():
        why = "; ".join(
            f"{name.replace('_', ' ')}: {_first(errors)}" for name, errors in form.errors.items()
        )
        preview.refused.append((line, why))
        return
    data = form.service_data()
    key = (normalise_group_name(data["name"]), data["kind"])
    if key in seen:
        preview.skipped.append((line, data["name"], f"repeats line {seen[key]}"))
        return
    seen[key] = line
    other = find_same_name_and_kind(data["name"], data["kind"])
    if other is not None:
        why = f"already on the site as group #{other.id} “{other.name}” ({other.status})"
        preview.skipped.append((line, data["name"], why))
        return
    preview.created.append(PlannedGroup(line, data))


def _first(errors: Any) -> str:
    # FieldList errors are nested lists (or dicts for FormFields); find the first message.
    if isinstance(errors, dict):
        errors = list(errors.values())
    for error in errors:
        if isinstance(error, str):
            return error
        found = _first(error)
        if found:
            return found
    return ""


def commit_groups(
    planned: Iterable[PlannedGroup],
    by: str,
    source: str,
    tell_contacts: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Group], list[tuple[int, str, str]]]:
    """Add the planned groups (the caller commits); one added meanwhile is skipped."""
    created: list[Group] = []
    skipped: list[tuple[int, str, str]] = []
    for plan in planned:
        try:
            note = f"Imported from {source}, line {plan.line}"
            group = add_affiliated_group(plan.data, by, tell_contact=tell_contacts, note=note)
        except DuplicateGroup as exc:
            skipped.append((plan.line, plan.name, str(exc)))
        else:
            created.append(group)
        if progress:
            progress(1)
    return created, skipped
