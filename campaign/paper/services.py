"""Record, correct and withdraw batches of paper signatures, keeping the tally exact.

A batch adds its count to the "signatures:paper" tally in the transaction that records it;
a correction adds the difference and a withdrawal takes the count away again, so the public
numbers never drift from the batches. The names a batch may carry become supporters only
when the paper form records the signer's consent to be contacted, and then as contacts
(bulletin consent given on paper), never as online signatures: the batch already counts
them. Nothing here commits: the caller commits with its audit record.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.appeal.services import new_referral_code
from campaign.email_address import InvalidEmail, normalise_email
from campaign.events.models import PUBLISHED, Event
from campaign.events.services import utc_to_london
from campaign.extensions import db
from campaign.forms import CONTROL
from campaign.groups.models import APPROVED, Group
from campaign.models import utcnow
from campaign.paper.models import (
    COUNTED,
    MAX_BATCH_COUNT,
    WITHDRAWN,
    PaperBatch,
    PaperSupporter,
)
from campaign.regions import normalise_postcode, region_for_postcode
from campaign.tally import PAPER_TALLY, adjust_tallies, read_tallies

MAX_NAMES_TEXT = 200_000  # characters of names typed or uploaded with one batch
NAME_COLUMNS = ("first_name", "last_name", "email", "postcode", "consent")
YES = {"yes", "y", "true", "1", "x", "✓", "ticked"}
NO = {"no", "n", "false", "0", ""}


class BatchError(ValueError):
    """A batch that cannot be recorded as given; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class PaperName:
    """One signer written out from a paper form."""

    line: int
    first_name: str
    last_name: str
    email: str | None
    postcode: str | None
    consent: bool


@dataclass
class NamesReport:
    """What the names of a batch gave: supporters added, and why others were not."""

    added: int = 0
    already_known: int = 0
    without_consent: int = 0
    without_email: int = 0

    def described(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class ParsedNames:
    names: list[PaperName] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, why)


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _name_part(value: str, what: str) -> str:
    if not value:
        raise ValueError(f"the {what} is missing")
    if len(value) > 100:
        raise ValueError(f"the {what} is longer than 100 characters")
    if CONTROL.search(value) or "\ufffd" in value:
        raise ValueError(f"the {what} holds characters that cannot be read")
    return value


def parse_names(text: str) -> ParsedNames:
    """Signers from CSV text: a header row naming first_name, last_name and optionally
    email, postcode and consent (yes/no); or no header and those columns in that order."""
    parsed = ParsedNames()
    text = (text or "").lstrip("\ufeff")
    if not text.strip():
        return parsed
    if len(text) > MAX_NAMES_TEXT:
        parsed.errors.append((0, f"At most {MAX_NAMES_TEXT:,} characters of names per batch."))
        return parsed
    rows = list(csv.reader(io.StringIO(text)))
    header = [_clean(c).lower().replace(" ", "_") for c in rows[0]] if rows else []
    if "first_name" in header and "last_name" in header:
        columns, start = header, 1
    else:
        columns, start = list(NAME_COLUMNS), 0
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue
        values = {columns[i]: _clean(v) for i, v in enumerate(row) if i < len(columns)}
        try:
            first = _name_part(values.get("first_name", ""), "first name")
            last = _name_part(values.get("last_name", ""), "last name")
            email = values.get("email") or None
            if email:
                try:
                    email = normalise_email(email)[0]
                except InvalidEmail as exc:
                    raise ValueError(str(exc)) from exc
            postcode_text = values.get("postcode") or None
            postcode = normalise_postcode(postcode_text) if postcode_text else None
            if postcode_text and (postcode is None or region_for_postcode(postcode) is None):
                raise ValueError(f"“{postcode_text}” is not a UK postcode")
            consent_text = values.get("consent", "").lower()
            if consent_text not in YES | NO:
                raise ValueError("consent must be yes or no, as the paper form records it")
        except ValueError as exc:
            parsed.errors.append((number, str(exc)))
            continue
        parsed.names.append(PaperName(number, first, last, email, postcode, consent_text in YES))
    return parsed


def check_batch(
    collected_on: dt.date,
    signatures: int,
    group_id: int | None,
    today: dt.date,
    names: Iterable[PaperName] = (),
) -> Group | None:
    """Refuse what cannot be true of a batch; returns its group (approved only), if any."""
    if collected_on > today:
        raise BatchError("The date cannot be in the future.", "collected_on")
    if collected_on.year < 2000:
        raise BatchError("Give a date from 2000 on.", "collected_on")
    if not 1 <= signatures <= MAX_BATCH_COUNT:
        raise BatchError(f"A batch holds from 1 to {MAX_BATCH_COUNT:,} signatures.", "signatures")
    if len(list(names)) > signatures:
        raise BatchError("There are more names than signatures in the batch.", "names")
    if group_id is None:
        return None
    group = db.session.get(Group, group_id)
    if group is None or group.status != APPROVED:
        raise BatchError("Choose one of the affiliated groups, or none.", "group_id")
    return group


def check_event(event_id: int | None, collected_on: dt.date) -> Event | None:
    """The published event a batch was collected at; BatchError if it cannot be that one."""
    if event_id is None:
        return None
    event = db.session.get(Event, event_id)
    if event is None or event.status != PUBLISHED:
        raise BatchError("Choose one of the events that took place, or none.", "event_id")
    if utc_to_london(event.starts_at).date() > collected_on:
        raise BatchError("The forms cannot be signed before the event began.", "collected_on")
    return event


def events_for_paper(today: dt.date, limit: int = 100) -> list[tuple[int, str]]:
    """(id, label) of published events that have begun, newest first, for the batch form."""
    rows = db.session.execute(
        sa.select(Event.id, Event.title, Event.starts_at)
        .where(Event.status == PUBLISHED, Event.starts_at <= utcnow())
        .order_by(Event.starts_at.desc())
        .limit(limit)
    ).all()
    return [(id_, f"{title} ({utc_to_london(start):%d %b %Y})") for id_, title, start in rows]


def record_batch(
    collected_on: dt.date,
    place: str,
    signatures: int,
    by: str,
    group_id: int | None = None,
    note: str | None = None,
    names: list[PaperName] | None = None,
    event_id: int | None = None,
) -> tuple[PaperBatch, NamesReport]:
    """Add a batch and count it; the consenting signers with an address become supporters."""
    check_batch(collected_on, signatures, group_id, utcnow().date(), names or [])
    check_event(event_id, collected_on)
    batch = PaperBatch(
        collected_on=collected_on,
        place=place,
        group_id=group_id,
        event_id=event_id,
        signatures=signatures,
        status=COUNTED,
        note=note,
        created_by=by,
        created_at=utcnow(),
    )
    db.session.add(batch)
    db.session.flush()
    adjust_tallies({PAPER_TALLY: signatures})
    return batch, add_named_supporters(batch, names or [])


def add_named_supporters(batch: PaperBatch, names: list[PaperName]) -> NamesReport:
    """Supporter rows for the signers who consented on paper and gave an e-mail address.

    An address the site already knows is left as it is (its owner's own choices stand).
    """
    report = NamesReport()
    wanted: dict[str, PaperName] = {}
    for name in names:
        if not name.consent:
            report.without_consent += 1
        elif not name.email:
            report.without_email += 1
        else:
            canonical = normalise_email(name.email)[1]
            if canonical in wanted:
                report.already_known += 1
            else:
                wanted[canonical] = name
    known = (
        set(
            db.session.scalars(
                sa.select(Supporter.email_canonical).where(Supporter.email_canonical.in_(wanted))
            )
        )
        if wanted
        else set()
    )
    consented_at = dt.datetime.combine(batch.collected_on, dt.time(12))
    for canonical, name in wanted.items():
        if canonical in known:
            report.already_known += 1
            continue
        supporter = Supporter(
            email=name.email,
            email_canonical=canonical,
            first_name=name.first_name,
            last_name=name.last_name,
            postcode=name.postcode,
            region=region_for_postcode(name.postcode) if name.postcode else None,
            bulletin_consent=True,
            show_publicly=False,
            referral_code=new_referral_code(),
            created_at=utcnow(),
            confirmed_at=consented_at,  # consent given in writing, on the form
        )
        db.session.add(supporter)
        db.session.flush()
        db.session.add(PaperSupporter(supporter_id=supporter.id, batch_id=batch.id))
        report.added += 1
    db.session.flush()
    return report


def correct_batch(
    batch: PaperBatch,
    collected_on: dt.date,
    place: str,
    signatures: int,
    reason: str,
    by: str,
    group_id: int | None = None,
    note: str | None = None,
) -> dict[str, tuple[object, object]]:
    """Change a counted batch's details, with a reason; the tally moves by the difference.

    Returns {field: (before, after)} for the audit log (empty: nothing changed).
    """
    if not (reason or "").strip():
        raise BatchError("Give a reason for the correction.", "reason")
    _lock(batch)
    if batch.status != COUNTED:
        raise BatchError("A withdrawn batch cannot be corrected.")
    if group_id != batch.group_id or group_id is None:
        check_batch(collected_on, signatures, group_id, utcnow().date())
    else:  # a group revoked since may stay on the batch it signed
        check_batch(collected_on, signatures, None, utcnow().date())
    named = (
        db.session.scalar(sa.select(sa.func.count()).where(PaperSupporter.batch_id == batch.id))
        or 0
    )
    if signatures < named:
        raise BatchError(
            f"The batch has {named} named supporters; it cannot hold fewer signatures.",
            "signatures",
        )
    after = {
        "collected_on": collected_on,
        "place": place,
        "signatures": signatures,
        "group_id": group_id,
        "note": note,
    }
    changes = {k: (getattr(batch, k), v) for k, v in after.items() if getattr(batch, k) != v}
    if not changes:
        return {}
    delta = signatures - batch.signatures
    for key, value in after.items():
        setattr(batch, key, value)
    if delta:
        adjust_tallies({PAPER_TALLY: delta})
    db.session.flush()
    return changes


def withdraw_batch(batch: PaperBatch, reason: str, by: str) -> None:
    """Stop counting a batch (entered twice, forms lost or not genuine), with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise BatchError("Give a reason for withdrawing the batch.", "reason")
    _lock(batch)
    if batch.status != COUNTED:
        raise BatchError("This batch has already been withdrawn.")
    withdrawn = db.session.execute(
        sa.update(PaperBatch)
        .where(PaperBatch.id == batch.id, PaperBatch.status == COUNTED)
        .values(status=WITHDRAWN, withdrawn_reason=reason, withdrawn_by=by, withdrawn_at=utcnow())
        .returning(PaperBatch.id)  # no row: another request withdrew it first
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if withdrawn is None:
        raise BatchError("This batch has already been withdrawn.")
    adjust_tallies({PAPER_TALLY: -batch.signatures})
    db.session.refresh(batch)


def _lock(batch: PaperBatch) -> None:
    # Re-read the row under a lock so two organisers correcting at once move the tally once.
    db.session.flush()
    db.session.execute(sa.select(PaperBatch.id).where(PaperBatch.id == batch.id).with_for_update())
    db.session.refresh(batch)


def paper_batches(status: str | None = None) -> sa.Select:
    """Batches, newest collection first."""
    query = sa.select(PaperBatch).order_by(PaperBatch.collected_on.desc(), PaperBatch.id.desc())
    if status:
        query = query.where(PaperBatch.status == status)
    return query


def paper_total() -> int:
    """Paper signatures counted now, from the tally."""
    return read_tallies(PAPER_TALLY).get(PAPER_TALLY, 0)


def recount_paper_tallies() -> dict[str, int]:
    """The paper tally recomputed from the counted batches (for `flask counters check`)."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(PaperBatch.signatures), 0)).where(
            PaperBatch.status == COUNTED
        )
    )
    return {PAPER_TALLY: int(total)} if total else {}


def named_supporters(batch: PaperBatch) -> list[Supporter]:
    """The supporters a batch's names created (those still on the list)."""
    return list(
        db.session.scalars(
            sa.select(Supporter)
            .join(PaperSupporter, PaperSupporter.supporter_id == Supporter.id)
            .where(PaperSupporter.batch_id == batch.id)
            .order_by(Supporter.id)
        )
    )
