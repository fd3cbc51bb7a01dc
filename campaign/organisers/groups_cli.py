"""`flask groups import FILE`: add the groups that affiliated before the site, from a CSV.

It shows what it would do (created, skipped, refused by line) and changes nothing until
the preview is accepted; `--dry-run` stops after the preview, `--yes` accepts it unasked.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from campaign.extensions import db
from campaign.groups.importing import (
    GroupImportPreview,
    ImportFileError,
    commit_groups,
    decode_upload,
    preview_groups,
)
from campaign.organisers.audit import record_audit

CLI_ACTOR = "cli"
SHOWN_LINES = 50

groups_cli = AppGroup("groups", help="Affiliated groups: import from a CSV file.")


def _report(preview: GroupImportPreview) -> None:
    click.echo(
        f"{len(preview.created):,} to create, {len(preview.skipped):,} to skip as duplicates, "
        f"{len(preview.refused):,} refused."
    )
    if preview.ignored_columns:
        click.echo("Columns not used: " + ", ".join(preview.ignored_columns))
    for line, why in preview.refused[:SHOWN_LINES]:
        click.echo(f"  line {line}: refused: {why}")
    for line, name, why in preview.skipped[:SHOWN_LINES]:
        click.echo(f"  line {line}: skipped {name}: {why}")
    hidden = max(len(preview.refused) - SHOWN_LINES, 0) + max(len(preview.skipped) - SHOWN_LINES, 0)
    if hidden:
        click.echo(f"  ... and {hidden:,} more lines")


@groups_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be done and change nothing.")
@click.option("--yes", is_flag=True, help="Create the groups without asking.")
@click.option("--tell-contacts", is_flag=True, help="E-mail each new group's contact.")
def import_command(file: Path, dry_run: bool, yes: bool, tell_contacts: bool) -> None:
    """Import affiliated groups from a CSV whose first line names the columns."""
    try:
        text = decode_upload(file.read_bytes())
        with click.progressbar(
            length=max(text.count("\n"), 1), label=f"Checking {file.name}", file=sys.stderr
        ) as bar:
            preview = preview_groups(text, progress=bar.update)
    except ImportFileError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.rollback()  # the checks only read
    _report(preview)
    if dry_run or not preview.created:
        click.echo("Nothing was changed.")
        return
    if not yes and not click.confirm(f"Create {len(preview.created):,} groups?"):
        click.echo("Nothing was changed.")
        return
    with click.progressbar(
        length=len(preview.created), label="Creating groups", file=sys.stderr
    ) as bar:
        created, skipped = commit_groups(
            preview.created, CLI_ACTOR, file.name, tell_contacts, progress=bar.update
        )
    record_audit(
        "groups.imported",
        CLI_ACTOR,
        target=file.name,
        created=len(created),
        skipped=len(preview.skipped) + len(skipped),
        refused=len(preview.refused),
    )
    db.session.commit()
    click.echo(f"Created {len(created):,} groups; {len(skipped):,} more were skipped meanwhile.")
