"""`flask counters check [--repair]`: compare the tallies with the rows they count."""

from __future__ import annotations

import click

from campaign.counters import bp
from campaign.counters.services import find_drift, repair_drift
from campaign.extensions import db
from campaign.wording import counted


@bp.cli.command("check")
@click.option("--repair", is_flag=True, help="Set every drifted tally to the true count.")
def check(repair: bool) -> None:
    """Recount signatures and groups from their tables and report (or repair) any drift."""
    drift = repair_drift() if repair else find_drift()
    if repair:
        db.session.commit()
    else:
        db.session.rollback()
    if not drift:
        click.echo("Counters are exact: every tally matches the rows it counts.")
        return
    for d in drift:
        change = d.actual - d.recorded
        click.echo(f"{d.key}: tally {d.recorded:,}, actual {d.actual:,} ({change:+,})")
    if repair:
        click.echo(f"Repaired {counted(len(drift), 'tally', 'tallies')}.")
    else:
        click.echo(
            f"{counted(len(drift), 'tally', 'tallies')} drifted; "
            "run `flask counters check --repair` to fix them."
        )
        click.get_current_context().exit(1)
