"""Log-in throttling that a stranger cannot turn against an account's owner.

Wrong passwords are counted twice, under keyed hashes: once for the client (its address)
and once for the pair (e-mail asked for, client). Past a few free failures each key must
wait before its next try, the wait doubling with every further failure. Nothing is
counted for the account as a whole, so wrong passwords sent from one place never keep
the owner out from another. The e-mail is hashed whether or not an account has it, so
the throttle answers the same for every address and tells no one which exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from campaign.clients import keyed_hash
from campaign.extensions import db
from campaign.models import utcnow
from campaign.organisers.models import LoginThrottle
from campaign.scheduler import scheduled_job


@dataclass(frozen=True)
class Policy:
    """How many failures are free under a key, the first wait after them, the longest wait."""

    free: int
    first_wait: dt.timedelta
    longest_wait: dt.timedelta

    def wait_after(self, failures: int) -> dt.timedelta:
        if failures < self.free:
            return dt.timedelta(0)
        doublings = min(failures - self.free, 24)  # past the longest wait anyway; no overflow
        return min(self.first_wait * 2**doublings, self.longest_wait)


# One person mistyping: three free tries, then 15 s, 30 s, 1 min ... up to 15 min.
PAIR = Policy(free=3, first_wait=dt.timedelta(seconds=15), longest_wait=dt.timedelta(minutes=15))
# One client trying many addresses: more free tries, then the same doubling up to an hour.
CLIENT = Policy(free=10, first_wait=dt.timedelta(seconds=15), longest_wait=dt.timedelta(hours=1))
# Failures older than this are forgotten.
FORGET_AFTER = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Keys:
    """The throttle keys of one log-in attempt."""

    client: str
    pair: str


def keys_for(step: str, who: str, client_address: str | None) -> Keys:
    """Keys for a step ("password" or "code") of a log-in by `who` from a client address."""
    address = client_address or "unknown"
    return Keys(
        client=keyed_hash(f"login-client:{step}", address),
        pair=keyed_hash(f"login-pair:{step}", who.strip().lower(), address),
    )


def _row(key: str, now: dt.datetime) -> LoginThrottle | None:
    row = db.session.get(LoginThrottle, key)
    if row is not None and now - row.last_failure_at > FORGET_AFTER:
        row.failures, row.blocked_until = 0, None
    return row


def seconds_to_wait(keys: Keys, now: dt.datetime | None = None) -> int:
    """How long this attempt must wait before it may be checked at all (0: go ahead)."""
    now = now or utcnow()
    waits = [0.0]
    for key in (keys.client, keys.pair):
        row = _row(key, now)
        if row is not None and row.blocked_until and row.blocked_until > now:
            waits.append((row.blocked_until - now).total_seconds())
    return int(-(-max(waits) // 1))


def count_failure(keys: Keys, now: dt.datetime | None = None) -> None:
    """Count a failed attempt under both keys and set their next waits (caller commits)."""
    now = now or utcnow()
    for key, policy in ((keys.client, CLIENT), (keys.pair, PAIR)):
        row = _row(key, now)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=now)
            db.session.add(row)
        row.failures += 1
        row.last_failure_at = now
        wait = policy.wait_after(row.failures)
        row.blocked_until = now + wait if wait else None


def count_success(keys: Keys) -> None:
    """A right answer clears the pair's count; the client's stays (caller commits).

    Keeping the client's count means an attacker cannot reset it by logging in to an
    account of their own between guesses at someone else's.
    """
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == keys.pair))


def forget_old_failures(now: dt.datetime | None = None) -> int:
    """Delete counts with no failure for FORGET_AFTER; returns how many (caller commits)."""
    now = now or utcnow()
    result: sa.CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        sa.delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - FORGET_AFTER)
    )
    return result.rowcount or 0


@scheduled_job("forget-old-login-failures", every=dt.timedelta(hours=1))
def forget_old_failures_job(now: dt.datetime) -> str:
    """Hourly: delete log-in failure counts older than a day (they hold hashes only)."""
    count = forget_old_failures(now)
    return f"forgot {count} log-in failure count{'' if count == 1 else 's'}"
