"""`flask counters check [--repair]`: compare the tallies with the rows they count."""

from __future__ import annotations

import click

from campaign.counters.blueprint import bp
from campaign.counters.countlog import log_entries, take_snapshot, verify_chain
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


@bp.cli.command("snapshot")
def snapshot() -> None:
    """Write today's entry of the public count log (a second run the same day changes nothing)."""
    result = take_snapshot()
    entry = result.entry
    if result.written:
        click.echo(f"Wrote the count log entry for {entry['day']} (hash {entry['hash']}).")
    else:
        click.echo(
            f"The count log already has an entry for {entry['day']} (hash {entry['hash']}); "
            "nothing changed."
        )


@bp.cli.command("verify-log")
def verify_log() -> None:
    """Recompute the count log's hash chain and name the first entry that breaks it."""
    entries = log_entries()
    db.session.rollback()
    check = verify_chain(entries)
    if check.intact:
        last = (
            f", the last for {entries[-1]['day']} (hash {entries[-1]['hash']})" if entries else ""
        )
        click.echo(f"The count log is intact: {counted(check.checked, 'entry', 'entries')}{last}.")
        return
    position = (check.broken_index or 0) + 1  # counted from 1, as people count
    click.echo(
        f"The count log is broken at entry {position} (day {check.broken_day}): {check.reason}.",
        err=True,
    )
    click.get_current_context().exit(1)
