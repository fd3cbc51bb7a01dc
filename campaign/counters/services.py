"""Live counts read from the running tallies, held briefly so a watching crowd costs nothing.

The tallies are exact (kept in the transactions that change them) and cheap: one read of a
table whose size depends on the number of regions, kinds and campaign days, never on the
number of signatures. Measured locally, that read still costs 0.5 ms on SQLite and over
1 ms on PostgreSQL, about as much as the whole Flask request for a cached answer (0.7 ms),
and a Redis GET costs 0.2 ms; so each process keeps the counts in memory for
COUNTERS_CACHE_SECONDS (default 1 s) and drops them as soon as it commits a tally change.
With REDIS_URL set, the snapshot is also shared through Redis for the same time, so all
processes on all machines refill from one database read and show the same numbers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from campaign.appeal.services import recount_signature_tallies
from campaign.content import Goal, current_content
from campaign.crowdcache import forget_crowd_responses
from campaign.extensions import db
from campaign.groups.models import GROUP_KINDS
from campaign.groups.services import recount_group_tallies
from campaign.paper.services import recount_paper_tallies
from campaign.regions import AREA_NAMES
from campaign.tally import CHANGED_FLAG, PAPER_TALLY, read_tallies, set_tallies

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 10
DEFAULT_WORDING = {
    "signatures": "people have signed",
    "signatures_one": "person has signed",
    "groups": "groups",
    "groups_one": "group",
}


@dataclass(frozen=True)
class KindCount:
    """Approved groups of one kind, with the words to show beside the number."""

    kind: str
    count: int
    singular: str
    plural: str

    @property
    def label(self) -> str:
        return self.singular if self.count == 1 else self.plural

    @property
    def text(self) -> str:
        """The phrase a reader sees, such as "4 Momentum branches"."""
        return f"{self.count:,} {self.label}"


@dataclass(frozen=True)
class AreaCount:
    """Signatures and approved groups in one region (or outside the UK, or UK-wide)."""

    area: str
    name: str
    signatures: int
    groups: int


@dataclass(frozen=True)
class DayCount:
    """Signatures confirmed on one day (UTC)."""

    day: dt.date
    signatures: int


@dataclass(frozen=True)
class Counts:
    """Every public number, as of one read of the tallies."""

    signatures: int  # online and on paper together: what the goals count
    groups: int
    kinds: tuple[KindCount, ...]  # every kind, in the directory's order
    areas: tuple[AreaCount, ...]  # the 12 regions, then outside the UK, then UK-wide
    days: tuple[DayCount, ...]  # oldest first; only days with a signature
    goals: tuple[Goal, ...]  # smallest first
    wording: dict[str, str]
    etag: str  # changes whenever any number does
    signatures_online: int = 0  # confirmed through the site
    signatures_paper: int = 0  # gathered on paper forms and entered by the organisers

    @property
    def signatures_label(self) -> str:
        return self.wording["signatures_one" if self.signatures == 1 else "signatures"]

    @property
    def groups_label(self) -> str:
        return self.wording["groups_one" if self.groups == 1 else "groups"]

    @property
    def invitation(self) -> str:
        """What a campaign with no confirmed signature says instead of "0 people have signed"."""
        first = self.goals[0].count if self.goals else 100
        return f"Be one of the first {first:,} to sign"

    @property
    def next_goal(self) -> Goal | None:
        """The smallest goal not yet reached, or None when every goal is reached."""
        return next((g for g in self.goals if g.count > self.signatures), None)

    @property
    def goals_reached(self) -> tuple[Goal, ...]:
        return tuple(g for g in self.goals if g.count <= self.signatures)

    @property
    def to_next_goal(self) -> int:
        goal = self.next_goal
        return goal.count - self.signatures if goal else 0

    @property
    def live_numbers(self) -> tuple[int, ...]:
        """The numbers the counters partial shows, in a fixed order."""
        return (self.signatures, self.groups, *(k.count for k in self.kinds))


def kind_labels(kind: str) -> tuple[str, str]:
    """The singular and plural words for a count of groups of this kind ("Momentum branch")."""
    singular, plural = GROUP_KINDS.get(kind, (kind, kind))
    if singular == "Other":
        singular = "other group"
    elif plural[:1].islower():
        # The form's singular labels are capitalised; in a running phrase they follow the
        # plural's case, so "1 local Labour left group" but "1 Momentum branch".
        singular = singular[:1].lower() + singular[1:]
    return singular, plural


def build_counts(tallies: dict[str, int]) -> Counts:
    """Turn a snapshot of the tallies into the public numbers (no database access)."""
    content = current_content()
    wording = dict(DEFAULT_WORDING)
    wording.update(
        {k: str(v) for k, v in content.campaign.get("counters", {}).items() if k in wording}
    )
    kinds = tuple(
        KindCount(kind, tallies.get(f"groups:kind:{kind}", 0), *kind_labels(kind))
        for kind in GROUP_KINDS
    )
    areas = tuple(
        AreaCount(
            area,
            name,
            tallies.get(f"signatures:region:{area}", 0),
            tallies.get(f"groups:region:{area}", 0),
        )
        for area, name in AREA_NAMES.items()
    )
    days = []
    for key, value in tallies.items():
        if key.startswith("signatures:day:") and value:
            try:
                days.append(DayCount(dt.date.fromisoformat(key.rsplit(":", 1)[1]), value))
            except ValueError:
                log.warning("ignoring malformed tally key %r", key)
    days.sort(key=lambda d: d.day)
    online, paper = tallies.get("signatures", 0), tallies.get(PAPER_TALLY, 0)
    return Counts(
        signatures=online + paper,
        signatures_online=online,
        signatures_paper=paper,
        groups=tallies.get("groups", 0),
        kinds=kinds,
        areas=areas,
        days=tuple(days),
        goals=tuple(content.goals),
        wording=wording,
        etag=tally_etag(tallies),
    )


def tally_etag(tallies: dict[str, int]) -> str:
    """A short digest of the non-zero tallies: equal numbers give equal tags in any process."""
    canonical = json.dumps(sorted((k, v) for k, v in tallies.items() if v), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


# --- the cache ------------------------------------------------------------------------


class CountsCache:
    """The latest Counts of one app: memoised in-process, shared through Redis if configured."""

    def __init__(self, ttl: float, redis_url: str | None, redis_key: str):
        self.ttl = ttl
        self.redis_url = redis_url
        self.redis_key = redis_key
        self._redis: Any = None
        self._lock = threading.Lock()
        self._counts: Counts | None = None
        self._expires = 0.0
        self.renders: dict[tuple[str, ...], bytes] = {}  # rendered bodies by their ETags
        self.fingerprint: str | None = None  # of the settings and template (routes.py)

    @property
    def redis(self) -> Any:
        if self._redis is None and self.redis_url:
            self._redis = redis.Redis.from_url(
                self.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        return self._redis

    def get(self) -> Counts:
        """The cached counts, refilled from Redis or the tallies when older than the TTL."""
        counts = self._counts
        if counts is not None and time.monotonic() < self._expires:
            return counts
        with self._lock:
            tallies = self._shared_get()
            if tallies is None:
                try:
                    tallies = read_tallies()
                except sa.exc.SQLAlchemyError:
                    if counts is None:
                        raise
                    # A database blip: keep showing the last numbers rather than an error.
                    log.exception("could not read the tallies; serving the last counts")
                    db.session.rollback()
                    self._expires = time.monotonic() + self.ttl
                    return counts
                self._shared_put(tallies)
            counts = build_counts(tallies)
            if self._counts is None or counts.etag != self._counts.etag:
                self.renders.clear()
            self._counts = counts
            self._expires = time.monotonic() + self.ttl
            return counts

    def forget(self) -> None:
        """Drop the cached counts here and in Redis (a tally has just changed)."""
        self._expires = 0.0
        if self.redis_url:
            try:
                self.redis.delete(self.redis_key)
            except Exception as exc:  # Redis down: the TTL still bounds staleness
                log.warning("could not clear the shared counters cache: %s", exc)

    def _shared_get(self) -> dict[str, int] | None:
        if not self.redis_url or self.ttl <= 0:
            return None
        try:
            raw = self.redis.get(self.redis_key)
        except Exception as exc:  # the database is the truth; Redis only saves reads
            log.warning("shared counters cache unavailable: %s", exc)
            return None
        return json.loads(raw) if raw else None

    def _shared_put(self, tallies: dict[str, int]) -> None:
        if not self.redis_url or self.ttl <= 0:
            return
        try:
            self.redis.set(self.redis_key, json.dumps(tallies), px=max(1, int(self.ttl * 1000)))
        except Exception as exc:
            log.warning("shared counters cache unavailable: %s", exc)


def counts_cache(app: Flask | None = None) -> CountsCache:
    """The counts cache of the app (created on first use)."""
    app = app or current_app
    cache = app.extensions.get("counters_cache")
    if cache is None:
        cache = app.extensions["counters_cache"] = CountsCache(
            ttl=float(app.config.get("COUNTERS_CACHE_SECONDS", 1.0)),
            redis_url=app.config.get("REDIS_URL") or None,
            redis_key=app.config.get("COUNTERS_REDIS_KEY", "campaign:counters:tallies"),
        )
    return cache


def current_counts() -> Counts:
    """The public numbers, exact to within COUNTERS_CACHE_SECONDS."""
    return counts_cache().get()


def poll_seconds() -> int:
    """How often the counters partial polls: config, else campaign.toml, else 10 s."""
    value = current_app.config.get("COUNTERS_POLL_SECONDS")
    if value is None:
        value = current_content().campaign.get("counters", {}).get("poll_seconds")
    try:
        seconds = int(value) if value is not None else DEFAULT_POLL_SECONDS
    except (TypeError, ValueError):
        seconds = DEFAULT_POLL_SECONDS
    return min(max(seconds, 1), 3600)


@sa.event.listens_for(Session, "after_commit")
def _forget_counts_after_commit(session: Session) -> None:
    # A committed tally change is visible at once in this process, and (with Redis) in every
    # process, instead of after the cache's time to live.
    if session.info.pop(CHANGED_FLAG, False) and has_app_context():
        counts_cache().forget()
        forget_crowd_responses()  # the pages showing the old numbers, too


@sa.event.listens_for(Session, "after_rollback")
def _discard_flag_after_rollback(session: Session) -> None:
    session.info.pop(CHANGED_FLAG, None)


# --- reconciliation -------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """A tally that disagrees with the rows it counts."""

    key: str
    recorded: int
    actual: int


def actual_tallies() -> dict[str, int]:
    """Every tally recomputed from the rows it counts, by the features that own them."""
    return {**recount_signature_tallies(), **recount_group_tallies(), **recount_paper_tallies()}


def find_drift() -> list[Drift]:
    """Tallies that differ from a fresh count of the rows, seen in one consistent snapshot."""
    if db.session.get_bind().dialect.name == "postgresql":
        # One snapshot for the tallies and the counts, so a signature confirmed meanwhile
        # (row and tally in one transaction) is seen in both or in neither.
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        _lock_tallies()  # SQLite reads outside a transaction; hold off writers instead
    return _compare()


def repair_drift() -> list[Drift]:
    """Set every drifted tally to the true count; the caller commits. Returns what was wrong."""
    _lock_tallies()
    drift = _compare()
    set_tallies({d.key: d.actual for d in drift})
    return drift


def _compare() -> list[Drift]:
    recorded = read_tallies()
    actual = actual_tallies()
    return [
        Drift(key, recorded.get(key, 0), actual.get(key, 0))
        for key in sorted(recorded.keys() | actual.keys())
        if recorded.get(key, 0) != actual.get(key, 0)
    ]


def _lock_tallies() -> None:
    # Hold off tally writers while counting, so a signature confirmed meanwhile is either in
    # the count or adds itself after the repair, never lost or counted twice.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("LOCK TABLE tallies IN EXCLUSIVE MODE"))
    else:  # SQLite: any write statement takes the database's single write lock
        db.session.execute(sa.text("UPDATE tallies SET value = value WHERE 0 = 1"))


# --- what the pages and the API show --------------------------------------------------


@dataclass(frozen=True)
class CountersView:
    """The counters partial's state: the numbers, which changed, and what to announce."""

    counts: Counts
    changed: frozenset[str]  # "signatures", "groups", "kind:<kind>"
    announcement: str
    poll_seconds: int
    seen: str  # the numbers shown, as the next poll's `was` parameter
    oob: bool  # the polled response also refreshes the persistent live region


def parse_seen(raw: str | None, size: int) -> tuple[int, ...] | None:
    """The numbers a client last saw, from a `was` parameter, or None if absent or malformed."""
    if not raw or len(raw) > 300 or not SEEN.fullmatch(raw):
        return None
    numbers = tuple(int(part) for part in raw.split("-"))
    return numbers if len(numbers) == size else None


SEEN = re.compile(r"[0-9]{1,12}(?:-[0-9]{1,12})*")


def counters_view(
    was: str | None = None, oob: bool = False, counts: Counts | None = None
) -> CountersView:
    """The counters partial for a client that last saw `was` (None: a first render)."""
    counts = counts or current_counts()
    now = counts.live_numbers
    before = parse_seen(was, len(now))
    names = ["signatures", "groups", *(f"kind:{k.kind}" for k in counts.kinds)]
    phrases = [
        f"{counts.signatures:,} {counts.signatures_label}",
        f"{counts.groups:,} {counts.groups_label}",
        *(k.text for k in counts.kinds),
    ]
    changed = [i for i in range(len(now)) if before is not None and before[i] != now[i]]
    return CountersView(
        counts=counts,
        changed=frozenset(names[i] for i in changed),
        announcement=("Now " + ", ".join(phrases[i] for i in changed) + ".") if changed else "",
        poll_seconds=poll_seconds(),
        seen="-".join(str(n) for n in now),
        oob=oob,
    )


def stats_document(counts: Counts) -> dict[str, Any]:
    """The body of /api/stats.json (schema Stats in the OpenAPI document)."""
    reached = {g.count for g in counts.goals_reached}
    next_goal = counts.next_goal
    return {
        "signatures": counts.signatures,
        "signatures_online": counts.signatures_online,
        "signatures_paper": counts.signatures_paper,
        "groups": counts.groups,
        "groups_by_kind": [
            {"kind": k.kind, "label": k.singular, "plural": k.plural, "count": k.count}
            for k in counts.kinds
        ],
        "regions": [
            {"region": a.area, "name": a.name, "signatures": a.signatures, "groups": a.groups}
            for a in counts.areas
        ],
        "days": [{"date": d.day.isoformat(), "signatures": d.signatures} for d in counts.days],
        "goals": [
            {"count": g.count, "label": g.label, "reached": g.count in reached}
            for g in counts.goals
        ],
        "next_goal": (
            {"count": next_goal.count, "label": next_goal.label, "reached": False}
            if next_goal
            else None
        ),
    }
