"""Floods of sign-ups, seen by their shape and dealt with in bulk (the abuse desk).

Sign-ups are grouped by the keyed hash of the client address and by e-mail domain over
the last hours; a moderator chooses a set (one client, one domain, optionally only the
held ones), previews what releasing or invalidating it would change, and applies it.
The change, its tally adjustment and (in the caller) its audit entry land in one
transaction. Nothing here shows a name or an address: a flood is judged by its shape.

Like the rest of the appeal's services these functions never commit: the caller does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.mail.services import delete_mail_to
from campaign.tally import adjust_tallies, signature_keys

RELEASE, INVALIDATE = "release", "invalidate"
ACTIONS = (RELEASE, INVALIDATE)
WINDOWS_HOURS = (1, 6, 24, 72, 168)
TOP = 20


class SelectionChanged(RuntimeError):
    """The chosen set is no longer the one that was previewed (new sign-ups, a release)."""


@dataclass(frozen=True)
class Activity:
    """Sign-ups from one client address (hashed) or one e-mail domain in the window."""

    key: str
    signups: int
    held: int
    confirmed: int
    last_at: dt.datetime


@dataclass(frozen=True)
class Selection:
    """The set a moderator chose: from one client or one domain, in the last `hours`."""

    hours: int
    client: str | None = None
    domain: str | None = None
    held_only: bool = False

    def condition(self, now: dt.datetime) -> sa.ColumnElement[bool]:
        clauses = [Supporter.created_at >= now - dt.timedelta(hours=self.hours)]
        if self.client:
            clauses.append(Supporter.ip_hash == self.client)
        if self.domain:
            clauses.append(Supporter.email_canonical.endswith(f"@{self.domain}", autoescape=True))
        if self.held_only:
            clauses.append(Supporter.held_at.is_not(None))
        return sa.and_(*clauses)

    def describe(self) -> str:
        """The set in words, for the preview and the audit log."""
        parts = ["held sign-ups" if self.held_only else "sign-ups"]
        if self.client:
            parts.append(f"from client {self.client[:12]}…")
        if self.domain:
            parts.append(f"with addresses at {self.domain}")
        parts.append(f"in the last {self.hours} hour{'s' if self.hours != 1 else ''}")
        return " ".join(parts)


@dataclass(frozen=True)
class Preview:
    """What an action on a selection would change (or did change)."""

    action: str
    matched: int  # rows in the selection
    affected: int  # rows the action changes
    count_change: int  # the change to the public signature count
    fingerprint: str  # of the affected rows, so the action applies to what was previewed


def _domain() -> sa.ColumnElement[str | None]:
    canonical = Supporter.email_canonical
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.split_part(canonical, "@", 2)
    return sa.func.substr(canonical, sa.func.instr(canonical, "@") + 1)


def _activity(
    key: sa.ColumnElement[str | None] | InstrumentedAttribute[str | None],
    hours: int,
    now: dt.datetime,
) -> list[Activity]:
    held = sa.func.count(Supporter.held_at)
    confirmed = sa.func.count(Supporter.confirmed_at)
    signups = sa.func.count()
    rows = db.session.execute(
        sa.select(key, signups, held, confirmed, sa.func.max(Supporter.created_at))
        .where(Supporter.created_at >= now - dt.timedelta(hours=hours), key.is_not(None))
        .group_by(key)
        .order_by(signups.desc(), key)
        .limit(TOP)
    ).all()
    return [Activity(str(k), int(n), int(h), int(c), last) for k, n, h, c, last in rows]


def activity_by_client(hours: int, now: dt.datetime) -> list[Activity]:
    """The busiest client addresses (as keyed hashes) of the last `hours`."""
    return _activity(Supporter.ip_hash, hours, now)


def activity_by_domain(hours: int, now: dt.datetime) -> list[Activity]:
    """The busiest e-mail domains of the last `hours`."""
    return _activity(_domain(), hours, now)


def held_count() -> int:
    """How many sign-ups wait for a moderator."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Supporter).where(Supporter.held_at.is_not(None))
        )
        or 0
    )


def _affected(
    selection: Selection, action: str, now: dt.datetime, lock: bool = False
) -> list[Supporter]:
    condition = selection.condition(now)
    if action == RELEASE:
        condition = sa.and_(condition, Supporter.held_at.is_not(None))
    query = sa.select(Supporter).where(condition).order_by(Supporter.id)
    return list(db.session.scalars(query.with_for_update() if lock else query))


def _fingerprint(action: str, rows: list[Supporter]) -> str:
    digest = hashlib.sha256(action.encode())
    for row in rows:
        digest.update(f",{row.id}:{row.held_at is not None}:{row.confirmed_at}".encode())
    return digest.hexdigest()[:24]


def preview(selection: Selection, action: str, now: dt.datetime) -> Preview:
    """What `action` would change on `selection`, without changing anything."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return _preview_of(selection, action, now, _affected(selection, action, now))


def _preview_of(
    selection: Selection, action: str, now: dt.datetime, rows: list[Supporter]
) -> Preview:
    matched = db.session.scalar(
        sa.select(sa.func.count()).select_from(Supporter).where(selection.condition(now))
    )
    if action == RELEASE:
        change = sum(1 for row in rows if row.signed_at and row.confirmed_at)
    else:
        change = -sum(1 for row in rows if row.counted)
    return Preview(action, int(matched or 0), len(rows), change, _fingerprint(action, rows))


def _tally_changes(rows: list[Supporter], delta: int) -> dict[str, int]:
    changes: dict[str, int] = {}
    for row in rows:
        assert row.confirmed_at is not None
        for key in signature_keys(row.region, row.confirmed_at.date()):
            changes[key] = changes.get(key, 0) + delta
    return changes


def apply(selection: Selection, action: str, fingerprint: str, now: dt.datetime) -> Preview:
    """Release or invalidate the selection, as previewed; SelectionChanged if it moved on.

    Release: the held sign-ups become ordinary ones, and those already confirmed count.
    Invalidate: the sign-ups are deleted with the e-mails to them, and those that counted
    stop counting. The rows are locked first, so a confirmation racing the action is
    either in the preview's fingerprint or waits for the action to finish.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    rows = _affected(selection, action, now, lock=True)
    if _fingerprint(action, rows) != fingerprint:
        raise SelectionChanged("the set has changed since it was previewed")
    done = _preview_of(selection, action, now, rows)
    ids = [row.id for row in rows]
    if action == RELEASE:
        db.session.execute(
            sa.update(Supporter)
            .where(Supporter.id.in_(ids))
            .values(held_at=None)
            .execution_options(synchronize_session=False)
        )
        adjust_tallies(_tally_changes([r for r in rows if r.signed_at and r.confirmed_at], +1))
    else:
        adjust_tallies(_tally_changes([r for r in rows if r.counted], -1))
        delete_mail_to(sorted({row.email for row in rows}))
        db.session.execute(
            sa.delete(Supporter)
            .where(Supporter.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    db.session.expire_all()
    return done
