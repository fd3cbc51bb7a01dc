"""`flask bulletins send-due`: start scheduled bulletins and queue their messages."""

from __future__ import annotations

import click

from campaign.bulletins.blueprint import bp
from campaign.bulletins.services import EXPAND_BATCH, send_due_bulletins


@bp.cli.command("send-due")
@click.option(
    "--batch", default=EXPAND_BATCH, show_default=True, help="Recipients per transaction."
)
def send_due(batch: int) -> None:
    """Start bulletins whose time has come and queue every sending bulletin's messages."""
    click.echo(send_due_bulletins(batch=max(batch, 1)) or "bulletins: nothing due")
