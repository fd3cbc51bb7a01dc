"""The public count log: one snapshot of the numbers a day, each chained to the one before.

Every entry is a JSON object holding the day's figures, `prev` (the `hash` of the entry
before it, null for the first) and `hash`: the SHA-256, in hex, of the UTF-8 bytes of

    json.dumps(entry_without_hash, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

So anyone with a copy of /numbers/log.json can recompute the chain: an entry changed
afterwards no longer matches its hash, and one changed and re-hashed no longer matches the
next entry's `prev`. The figures are counts only, never anything about a person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model, db
from campaign.groups.models import GROUP_KINDS
from campaign.models import utcnow
from campaign.scheduler import scheduled_job
from campaign.tally import PAPER_TALLY, read_tallies

FORMAT = "count-log/1"


class CountLogEntry(Model):
    """One day's entry of the count log; `body` is the entry's JSON exactly as published."""

    __tablename__ = "count_log"
    __table_args__ = (sa.CheckConstraint("length(hash) = 64", name="hash_is_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(unique=True)  # one entry a day, however many runs
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prev: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # no fork in the chain
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def entry(self) -> dict[str, Any]:
        return json.loads(self.body)


def canonical_json(entry: dict[str, Any]) -> str:
    """The canonical text of an entry: sorted keys, no spaces, Unicode kept as is."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of `entry` without its `hash`."""
    body = {key: value for key, value in entry.items() if key != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


# --- the figures -----------------------------------------------------------------------


# Invalidations are recorded by the abuse desk as audit entries (campaign/organisers/abuse.py:
# action "signups.invalidated", details holding the rows deleted and how they were chosen).
# The audit log is the one record of them, as the sign-ups themselves are deleted; it is read
# here as a table, so the public counters need not import the organisers' room.
_AUDIT_LOG = sa.table("audit_log", sa.column("action", sa.String), sa.column("details", sa.JSON))
INVALIDATED_ACTION = "signups.invalidated"


def invalidation_reason(details: dict[str, Any]) -> str:
    """Why a set of sign-ups was struck out, in words that name nobody."""
    client, domain = details.get("client"), details.get("domain")
    if client and domain:
        return "flood from one client address and e-mail domain"
    if client:
        return "flood from one client address"
    if domain:
        return "flood from one e-mail domain"
    return "flood within a time window"


def invalidated_signups() -> dict[str, int]:
    """Sign-ups invalidated at the abuse desk so far, counted by reason."""
    by_reason: dict[str, int] = {}
    rows = db.session.execute(
        sa.select(_AUDIT_LOG.c.details).where(_AUDIT_LOG.c.action == INVALIDATED_ACTION)
    ).scalars()
    for details in rows:
        if not isinstance(details, dict):
            continue
        count = details.get("rows")
        if isinstance(count, int) and count > 0:
            reason = invalidation_reason(details)
            by_reason[reason] = by_reason.get(reason, 0) + count
    return by_reason


def todays_figures() -> dict[str, Any]:
    """The numbers an entry records: totals and counts by kind and by reason, nothing more."""
    tallies = read_tallies()
    online = tallies.get("signatures", 0)  # confirmed through the site
    paper = tallies.get(PAPER_TALLY, 0)  # entered by the organisers from paper forms
    invalidated = invalidated_signups()
    return {
        "signatures": {"online": online, "paper": paper, "total": online + paper},
        "groups": {
            "total": tallies.get("groups", 0),
            "by_kind": {kind: tallies.get(f"groups:kind:{kind}", 0) for kind in GROUP_KINDS},
        },
        "invalidated": {"total": sum(invalidated.values()), "by_reason": dict(invalidated)},
    }


# --- writing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotResult:
    """The entry for the day, and whether this run wrote it."""

    entry: dict[str, Any]
    written: bool


def last_entry() -> CountLogEntry | None:
    return db.session.scalar(sa.select(CountLogEntry).order_by(CountLogEntry.id.desc()).limit(1))


def take_snapshot(now: dt.datetime | None = None) -> SnapshotResult:
    """Write today's entry (UTC) unless it exists; a second run the same day changes nothing.

    Commits. Of two processes racing, the unique day (and unique `prev`) lets one win; the
    other finds the winner's entry.
    """
    now = now or utcnow()
    day = now.date()
    existing = db.session.scalar(sa.select(CountLogEntry).where(CountLogEntry.day == day))
    if existing is not None:
        db.session.rollback()
        return SnapshotResult(existing.entry, written=False)
    previous = last_entry()
    if previous is not None and previous.day > day:
        raise ValueError(f"the count log already has an entry after {day.isoformat()}")
    entry: dict[str, Any] = {
        "format": FORMAT,
        "seq": (previous.entry["seq"] + 1) if previous else 1,
        "day": day.isoformat(),
        "taken_at": now.replace(microsecond=0).isoformat() + "Z",
        **todays_figures(),
        "prev": previous.hash if previous else None,
    }
    entry["hash"] = entry_hash(entry)
    row = CountLogEntry(day=day, hash=entry["hash"], prev=entry["prev"], body=canonical_json(entry))
    try:
        with db.session.begin_nested():
            db.session.add(row)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        winner = db.session.scalar(sa.select(CountLogEntry).where(CountLogEntry.day == day))
        if winner is None:
            raise
        return SnapshotResult(winner.entry, written=False)
    return SnapshotResult(entry, written=True)


@scheduled_job("count-log-snapshot", every=dt.timedelta(hours=1))
def count_log_job(now: dt.datetime) -> str:
    """Daily entry of the public count log; run hourly so a late worker never skips a day
    (the second and later runs of a day change nothing)."""
    result = take_snapshot(now)
    day = result.entry["day"]
    return f"wrote the count log entry for {day}" if result.written else f"{day} already logged"


# --- reading and checking ----------------------------------------------------------------


def log_entries() -> list[dict[str, Any]]:
    """Every entry, oldest first, exactly as stored."""
    bodies = db.session.scalars(sa.select(CountLogEntry.body).order_by(CountLogEntry.id))
    return [json.loads(body) for body in bodies]


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of recomputing a chain: how many entries held, and the first that broke."""

    checked: int
    broken_index: int | None = None  # 0-based position of the first broken entry
    broken_day: str | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_index is None


def verify_chain(entries: list[dict[str, Any]]) -> ChainCheck:
    """Recompute every hash and link; name the first entry that does not hold."""
    prev: str | None = None
    for index, entry in enumerate(entries):
        day = str(entry.get("day")) if isinstance(entry, dict) else None

        def broken(reason: str, index: int = index, day: str | None = day) -> ChainCheck:
            return ChainCheck(index, index, day, reason)

        if not isinstance(entry, dict) or not isinstance(entry.get("hash"), str):
            return broken("it has no hash")
        if entry_hash(entry) != entry["hash"]:
            return broken("its hash does not match its content (changed after it was written)")
        if entry.get("prev") != prev:
            return broken(
                "its prev is not the hash of the entry before it (an entry before it "
                "was changed, removed or put in)"
            )
        prev = entry["hash"]
    return ChainCheck(len(entries))
