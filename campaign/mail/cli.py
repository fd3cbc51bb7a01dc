"""`flask mail work`: the outbox worker (and the scheduled jobs); `flask mail status`."""

from __future__ import annotations

import time

import click

from campaign.mail.blueprint import bp
from campaign.mail.services import outbox_health, send_due_messages
from campaign.scheduler import run_due_jobs

# The worker also runs the scheduled housekeeping, about this often (seconds).
JOBS_INTERVAL = 60.0


@bp.cli.command("work")
@click.option("--once", is_flag=True, help="One pass: send what is due, run due jobs, stop.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
def work(once: bool, interval: float) -> None:
    """Send queued e-mail and run due scheduled jobs; safe to run as many copies as wanted."""
    jobs_checked_at: float | None = None
    while True:
        counts = send_due_messages()
        if any(counts.values()):
            click.echo(
                f"sent {counts['sent']}, will retry {counts['retried']}, failed {counts['failed']}"
            )
        if jobs_checked_at is None or time.monotonic() - jobs_checked_at >= JOBS_INTERVAL:
            jobs_checked_at = time.monotonic()
            for name, summary in run_due_jobs().items():
                click.echo(f"{name}: {summary}")
        if once:
            return
        if not any(counts.values()):  # busy (a bulletin going out): no pause between batches
            time.sleep(interval)


@bp.cli.command("status")
def status() -> None:
    """Show how many messages are queued, sent and failed."""
    health = outbox_health()
    click.echo(f"queued {health['queued']}, sent {health['sent']}, failed {health['failed']}")
