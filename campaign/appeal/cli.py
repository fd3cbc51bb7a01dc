"""`flask appeal purge`: delete signatures and subscriptions never confirmed."""

from __future__ import annotations

import click

from campaign.appeal.blueprint import bp
from campaign.appeal.services import purge_unconfirmed
from campaign.extensions import db
from campaign.wording import counted


@bp.cli.command("purge")
@click.option(
    "--days", default=30, show_default=True, type=click.IntRange(min=1), help="Age in days."
)
def purge(days: int) -> None:
    """Delete supporters who never confirmed their address within DAYS days."""
    count = purge_unconfirmed(older_than_days=days)
    db.session.commit()
    click.echo(
        f"Purged {counted(count, 'unconfirmed supporter')} older than {counted(days, 'day')}."
    )
