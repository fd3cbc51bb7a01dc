"""`flask mail work`: the outbox worker; `flask mail status`: queue health."""

from __future__ import annotations

import time

import click

from campaign.mail import bp
from campaign.mail.services import outbox_health, send_due_messages


@bp.cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
def work(once: bool, interval: float) -> None:
    """Send queued e-mail; safe to run as many copies as wanted."""
    while True:
        counts = send_due_messages()
        if any(counts.values()):
            click.echo(
                f"sent {counts['sent']}, will retry {counts['retried']}, failed {counts['failed']}"
            )
        if once:
            return
        if not any(counts.values()):  # busy (a bulletin going out): no pause between batches
            time.sleep(interval)


@bp.cli.command("status")
def status() -> None:
    """Show how many messages are queued, sent and failed."""
    health = outbox_health()
    click.echo(f"queued {health['queued']}, sent {health['sent']}, failed {health['failed']}")
