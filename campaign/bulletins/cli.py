"""`flask bulletins send-due`: start scheduled bulletins and queue their messages."""

from __future__ import annotations

import click

from campaign.bulletins import bp
from campaign.bulletins.services import send_due_bulletins


@bp.cli.command("send-due")
def send_due() -> None:
    """Start bulletins whose time has come and queue every sending bulletin's messages."""
    click.echo(send_due_bulletins() or "bulletins: nothing due")
