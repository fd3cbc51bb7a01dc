"""Command-line tasks: `flask organisers create|list|disable|enable|set-password` and
`flask supporters export|import`. Every change and every export is audit-logged as "cli"."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from campaign.extensions import db
from campaign.organisers.accounts import (
    AccountError,
    create_organiser,
    disable_organiser,
    enable_organiser,
    find_organiser,
    set_password,
)
from campaign.organisers.audit import record_audit
from campaign.organisers.blueprint import bp
from campaign.organisers.models import ROLES, Organiser
from campaign.organisers.supporters import (
    MEMBER_FILTERS,
    ImportReport,
    InvalidRow,
    SupporterFilters,
    audited_export,
    import_supporters,
)
from campaign.regions import OUTSIDE_UK, REGIONS
from campaign.wording import counted

CLI_ACTOR = "cli"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _organiser_or_fail(email: str) -> Organiser:
    organiser = find_organiser(email)
    if organiser is None:
        raise click.ClickException(f"No organiser has the address {email}.")
    return organiser


password_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)


@bp.cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="viewer, moderator, organiser or admin",
)
@click.option("--name", default="", help="How the organiser is shown (default: from the e-mail).")
@password_stdin
def create(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create an organiser account (prompts for the password twice)."""
    password = _read_password(password_stdin)
    try:
        organiser = create_organiser(email, name, role, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    record_audit("organiser.created", CLI_ACTOR, target=organiser.email, role=role)
    db.session.commit()
    click.echo(f"Created {organiser.role} {organiser.email}.")


@bp.cli.command("list")
def list_organisers() -> None:
    """List every organiser account."""
    for organiser in db.session.scalars(sa.select(Organiser).order_by(Organiser.email)):
        status = "active" if organiser.active else "disabled"
        last = organiser.last_login_at
        last_text = last.isoformat(" ", "minutes") if last else "never"
        click.echo(
            f"{organiser.email}\t{organiser.role}\t{status}\t"
            f"last log-in {last_text}\t{organiser.name}"
        )


@bp.cli.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Disable an account: it cannot log in and its sessions end."""
    organiser = _organiser_or_fail(email)
    try:
        disable_organiser(organiser)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    record_audit("organiser.disabled", CLI_ACTOR, target=organiser.email)
    db.session.commit()
    click.echo(f"Disabled {organiser.email}.")


@bp.cli.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Let a disabled account log in again."""
    organiser = _organiser_or_fail(email)
    if organiser.active:
        click.echo(f"{organiser.email} is already active.")
        return
    enable_organiser(organiser)
    record_audit("organiser.enabled", CLI_ACTOR, target=organiser.email)
    db.session.commit()
    click.echo(f"Enabled {organiser.email}.")


@bp.cli.command("set-password")
@click.argument("email")
@password_stdin
def set_password_command(email: str, password_stdin: bool) -> None:
    """Set a new password for an account (and lift a lockout)."""
    organiser = _organiser_or_fail(email)
    try:
        set_password(organiser, _read_password(password_stdin))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    record_audit("organiser.password_set", CLI_ACTOR, target=organiser.email)
    db.session.commit()
    click.echo(f"New password set for {organiser.email}.")


# --- supporters ------------------------------------------------------------------------


# An AppGroup, so every command runs inside the application context.
supporters_cli = AppGroup("supporters", help="Export and import the supporter list.")


YES_NO = click.Choice(["yes", "no"])


class _Progress(Protocol):
    def update(self, n_steps: int) -> None: ...


def _counted(rows: Iterable[tuple], bar: _Progress, every: int = 1000) -> Iterator[tuple]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done == every:
            bar.update(done)
            done = 0
    bar.update(done)


@supporters_cli.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--format",
    "kind",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="Default: from the file's extension (csv otherwise).",
)
@click.option("--region", type=click.Choice([*REGIONS, OUTSIDE_UK]))
@click.option("--confirmed", type=YES_NO)
@click.option("--consent", type=YES_NO)
@click.option("--member", type=click.Choice(MEMBER_FILTERS))
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Signed up on or after.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Signed up on or before.")
@click.option(
    "--everyone",
    is_flag=True,
    help="Include supporters who did not consent to contact (needs --reason).",
)
@click.option("--reason", default="", help="Why everyone is exported (kept in the audit log).")
@click.option("--bom", is_flag=True, help="Start a CSV with the byte-order mark Excel needs.")
def export_command(
    out: Path,
    kind: str | None,
    region: str | None,
    confirmed: str | None,
    consent: str | None,
    member: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    everyone: bool,
    reason: str,
    bom: bool,
) -> None:
    """Export supporters (by default only those who consented to contact) to CSV or XLSX."""
    if everyone and not reason.strip():
        raise click.UsageError("--everyone needs --reason.")
    kind = kind or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    yes_no = {"yes": True, "no": False}
    filters = SupporterFilters(
        region=region,
        confirmed=yes_no.get(confirmed or ""),
        consent=yes_no.get(consent or ""),
        member=member,
        since=since.date() if since else None,
        until=until.date() if until else None,
    )
    export = audited_export(CLI_ACTOR, filters, kind, everyone, reason, filename=out.name, bom=bom)
    label = f"Exporting {counted(export.rows, 'supporter')}"
    with (
        click.progressbar(length=export.rows, label=label, file=sys.stderr) as bar,
        out.open("wb") as f,
    ):
        for chunk in export.chunks(lambda rows: _counted(rows, bar)):
            f.write(chunk)
    # End the read transaction the streaming cursor ran in, so it holds no locks.
    db.session.rollback()
    click.echo(f"Wrote {counted(export.rows, 'supporter')} to {out}.")


def _import_report(report: ImportReport, verb: str) -> None:
    click.echo(
        f"{verb} {counted(report.created, 'supporter')} "
        f"({counted(report.counted, 'confirmed signature')} counted); "
        f"skipped {report.skipped:,} already known ({report.duplicates_in_table:,} in the "
        f"database, {report.duplicates_in_file:,} repeated in the file); "
        f"{len(report.invalid):,} invalid."
    )
    for line, why in report.invalid[:50]:
        click.echo(f"  line {line}: {why}")
    if len(report.invalid) > 50:
        click.echo(f"  ... and {counted(len(report.invalid) - 50, 'more invalid line')}")


def _read_import(file: Path, dry_run: bool, label: str) -> ImportReport:
    with file.open(encoding="utf-8-sig", newline="") as f:
        lines = max(sum(1 for _ in f) - 1, 0)
    with (
        file.open(encoding="utf-8-sig", newline="") as f,
        click.progressbar(length=lines, label=f"{label} {file.name}", file=sys.stderr) as bar,
    ):
        return import_supporters(f, progress=bar.update, dry_run=dry_run)


@supporters_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; change nothing.")
@click.option("--yes", is_flag=True, help="Import without asking after the preview.")
def import_command(file: Path, dry_run: bool, yes: bool) -> None:
    """Import supporters from a CSV with the export's columns, skipping known addresses.

    Every row gets the sign form's checks. The file is first checked and reported (line by
    line for what is refused); nothing is imported until that preview is accepted.
    """
    try:
        preview = _read_import(file, dry_run=True, label="Checking")
        db.session.rollback()
        _import_report(preview, "Would create")
        if dry_run or not preview.created:
            click.echo("Nothing was imported.")
            return
        if not yes and not click.confirm(f"Import {counted(preview.created, 'supporter')}?"):
            click.echo("Nothing was imported.")
            return
        report = _read_import(file, dry_run=False, label="Importing")
    except InvalidRow as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    except UnicodeDecodeError as exc:
        db.session.rollback()
        raise click.ClickException("The file is not UTF-8 text.") from exc
    record_audit(
        "supporters.imported",
        CLI_ACTOR,
        target=file.name,
        created=report.created,
        counted=report.counted,
        duplicates_in_table=report.duplicates_in_table,
        duplicates_in_file=report.duplicates_in_file,
        invalid=len(report.invalid),
    )
    db.session.commit()
    _import_report(report, "Created")
