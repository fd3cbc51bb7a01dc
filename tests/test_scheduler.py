"""The scheduler: each job at most once per period across processes, failures contained."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from campaign import create_app
from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.models import utcnow
from campaign.scheduler import JOBS, ScheduledJobState, run_due_jobs, scheduled_job
from tests.support.reads import supporters
from tests.support.web import sign

HOUR = dt.timedelta(hours=1)
T0 = dt.datetime(2026, 11, 30, 9, 0)


@pytest.fixture
def ran() -> Iterator[list[dt.datetime]]:
    """A test job, 'test-hourly', that notes each time it runs; unregistered afterwards."""
    runs: list[dt.datetime] = []

    @scheduled_job("test-hourly", every=HOUR)
    def hourly(now: dt.datetime) -> str:
        runs.append(now)
        return f"run {len(runs)}"

    yield runs
    JOBS.pop("test-hourly")


@pytest.fixture
def second_app(app: Flask, tmp_path: Path) -> Flask:
    """Another app (another process, as far as the scheduler knows) on the same database."""
    other = create_app(
        {"TESTING": True, **{k: app.config[k] for k in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI")}},
        instance_path=str(tmp_path / "second"),
    )
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def run_in(app: Flask, now: dt.datetime) -> dict[str, str]:
    with app.app_context():
        return run_due_jobs(now)


def test_job_runs_once_per_period_across_two_apps(app, second_app, ran):
    assert run_in(app, T0)["test-hourly"] == "run 1"
    # The other process, later in the same period: not due.
    assert "test-hourly" not in run_in(second_app, T0 + dt.timedelta(minutes=59))
    assert "test-hourly" not in run_in(app, T0 + dt.timedelta(minutes=30))
    assert ran == [T0]
    # A period later, whichever process asks first runs it, once.
    assert run_in(second_app, T0 + HOUR)["test-hourly"] == "run 2"
    assert "test-hourly" not in run_in(app, T0 + HOUR)
    assert ran == [T0, T0 + HOUR]
    with app.app_context():
        state = db.session.get(ScheduledJobState, "test-hourly")
        assert state.last_summary == "run 2" and state.last_error is None
        assert state.next_run_at == T0 + 2 * HOUR


def test_racing_processes_run_a_job_once(app, second_app, ran):
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def race(which: Flask) -> None:
        try:
            with which.app_context():
                start.wait()
                run_due_jobs(T0)
        except BaseException as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(a,)) for a in (app, second_app) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ran == [T0]


def test_failing_job_is_recorded_and_others_still_run(app, ran):
    @scheduled_job("test-a-broken", every=HOUR)
    def broken(now: dt.datetime) -> str:
        db.session.execute(sa.update(ScheduledJobState).values(last_summary="half-done"))
        raise RuntimeError("disk on fire")

    try:
        results = run_in(app, T0)
    finally:
        JOBS.pop("test-a-broken")
    assert results["test-a-broken"] == "failed: RuntimeError: disk on fire"
    assert results["test-hourly"] == "run 1"
    with app.app_context():
        state = db.session.get(ScheduledJobState, "test-a-broken")
        assert state.last_error == "RuntimeError: disk on fire"
        assert state.last_summary is None  # its half-done change was rolled back
        assert state.next_run_at == T0 + HOUR  # waits for its next period


def test_maintenance_run_cli_runs_due_jobs_once(app, runner, ran):
    result = runner.invoke(args=["maintenance", "run"])
    assert result.exit_code == 0, result.output
    assert "test-hourly: run 1" in result.output
    again = runner.invoke(args=["maintenance", "run"])
    assert "test-hourly" not in again.output
    status = runner.invoke(args=["maintenance", "status"])
    assert "test-hourly (every 1:00:00): last" in status.output
    assert "purge-unconfirmed-signatures" in status.output


def test_mail_worker_pass_runs_due_jobs(app, runner, ran):
    result = runner.invoke(args=["mail", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert ran and "test-hourly: run 1" in result.output


def test_scheduler_purges_old_unconfirmed_signatures(app, client, runner):
    sign(client, email="old@example.org")
    sign(client, email="new@example.org")
    with app.app_context():
        db.session.execute(
            sa.update(Supporter)
            .where(Supporter.email == "old@example.org")
            .values(created_at=utcnow() - dt.timedelta(days=31))
        )
        db.session.commit()
    result = runner.invoke(args=["maintenance", "run"])
    assert "purge-unconfirmed-signatures: purged 1 unconfirmed supporter" in result.output
    assert [s.email for s in supporters(app)] == ["new@example.org"]
