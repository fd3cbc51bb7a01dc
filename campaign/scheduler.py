"""Periodic jobs: each registered once by decorator, run at most once per period anywhere.

A feature registers its housekeeping with `@scheduled_job("name", every=...)`; the
decorated function takes the current time and returns a one-line summary (or None).
`run_due_jobs` runs every job whose period has come. Any number of processes may call
it at the same time (several `flask mail work` copies, a cron `flask maintenance run`):
each job is claimed with one conditional UPDATE on its `scheduled_jobs` row, so of the
racing processes exactly one runs it per period. This module knows no feature.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model, db
from campaign.models import rows_changed, utcnow

log = logging.getLogger(__name__)

JobFunction = Callable[[dt.datetime], str | None]


@dataclass(frozen=True)
class ScheduledJob:
    """A registered job: its name, how often it runs, and what it does."""

    name: str
    every: dt.timedelta
    run: JobFunction


# Filled at import time by the features' decorators; create_app imports every feature.
JOBS: dict[str, ScheduledJob] = {}


def scheduled_job(name: str, *, every: dt.timedelta) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated `(now) -> summary` function to run once every `every`."""
    if every <= dt.timedelta(0):
        raise ValueError("a scheduled job needs a positive period")

    def register(function: JobFunction) -> JobFunction:
        existing = JOBS.get(name)
        if existing is not None and existing.run is not function:
            raise ValueError(f"two scheduled jobs are named {name!r}")
        JOBS[name] = ScheduledJob(name=name, every=every, run=function)
        return function

    return register


class ScheduledJobState(Model):
    """When each job next falls due, and how its last run went."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    next_run_at: Mapped[dt.datetime]
    last_started_at: Mapped[dt.datetime | None]
    last_finished_at: Mapped[dt.datetime | None]
    last_summary: Mapped[str | None] = mapped_column(sa.String(500))
    last_error: Mapped[str | None] = mapped_column(sa.String(500))


def _insert_if_missing(name: str, now: dt.datetime) -> None:
    # A job seen for the first time is due at once. Two processes may both try to add
    # its row: ON CONFLICT DO NOTHING lets the loser carry on to the claim, which decides.
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    db.session.execute(
        insert(ScheduledJobState)
        .values(name=name, next_run_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )


def _claim(job: ScheduledJob, now: dt.datetime) -> bool:
    """Take this period's run of `job`; True for exactly one of any racing processes."""
    _insert_if_missing(job.name, now)
    result = db.session.execute(
        sa.update(ScheduledJobState)
        .where(ScheduledJobState.name == job.name, ScheduledJobState.next_run_at <= now)
        .values(next_run_at=now + job.every, last_started_at=now)
    )
    db.session.commit()
    return rows_changed(result) == 1


def _record(name: str, *, summary: str | None, error: str | None) -> None:
    db.session.execute(
        sa.update(ScheduledJobState)
        .where(ScheduledJobState.name == name)
        .values(
            last_finished_at=utcnow(),
            last_summary=summary[:500] if summary else None,
            last_error=error[:500] if error else None,
        )
    )
    db.session.commit()


def run_due_jobs(now: dt.datetime | None = None) -> dict[str, str]:
    """Run every job whose period has come; return each run job's summary (or its error).

    Call inside an app context. A job runs in its own transaction, committed when it
    returns; one that raises is rolled back and logged, and the others still run. A job
    that fails waits for its next period like one that succeeded.
    """
    now = now or utcnow()
    db.session.commit()  # start from a clean transaction, whatever the caller left open
    results: dict[str, str] = {}
    for job in sorted(JOBS.values(), key=lambda job: job.name):
        if not _claim(job, now):
            continue
        try:
            summary = job.run(now)
            db.session.commit()
        except Exception as exc:  # any failure: record it, keep the other jobs running
            db.session.rollback()
            error = f"{type(exc).__name__}: {exc}"
            log.exception("scheduled job %s failed", job.name)
            _record(job.name, summary=None, error=error)
            results[job.name] = f"failed: {error}"
            continue
        _record(job.name, summary=summary, error=None)
        results[job.name] = summary or "done"
        log.info("scheduled job %s: %s", job.name, results[job.name])
    return results


def job_states() -> list[tuple[ScheduledJob, ScheduledJobState | None]]:
    """Every registered job with its stored state (None before its first run)."""
    states = {state.name: state for state in db.session.scalars(sa.select(ScheduledJobState))}
    return [(job, states.get(name)) for name, job in sorted(JOBS.items())]


maintenance_cli = AppGroup("maintenance", help="Scheduled housekeeping (purges, expiries).")


@maintenance_cli.command("run")
def run_command() -> None:
    """Run the jobs that are due now, once each, then stop (safe beside running workers)."""
    results = run_due_jobs()
    if not results:
        click.echo("No job was due.")
    for name, summary in results.items():
        click.echo(f"{name}: {summary}")
    if any(summary.startswith("failed: ") for summary in results.values()):
        raise SystemExit(1)


@maintenance_cli.command("status")
def status_command() -> None:
    """List the scheduled jobs: period, last run and its outcome, next run."""
    for job, state in job_states():
        if state is None:
            click.echo(f"{job.name} (every {job.every}): never run, due now")
            continue
        outcome = f"failed: {state.last_error}" if state.last_error else state.last_summary
        click.echo(
            f"{job.name} (every {job.every}): last {state.last_started_at:%Y-%m-%d %H:%M} UTC"
            f" ({outcome or 'running'}), next {state.next_run_at:%Y-%m-%d %H:%M} UTC"
        )


def init_scheduler(app: Flask) -> None:
    """Add the `flask maintenance` commands."""
    app.cli.add_command(maintenance_cli)
