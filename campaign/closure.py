"""The end of the campaign: sign-up stops, and personal data is anonymised after a date.

`flask campaign close --anonymise-after DAYS` records the closure (one row). From then on
every sign-up view decorated with `@closes_with_campaign` answers a clear "closed" page
instead of its form. Once the anonymisation date has passed, each feature's scheduled
job (which asks `anonymise_due`) strips the personal data from its own rows, keeping
what the counts are made of. This module knows no feature.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
import sqlalchemy as sa
from flask import Flask, make_response, render_template, request
from flask.cli import AppGroup
from sqlalchemy.orm import Mapped, QueryableAttribute, mapped_column

from campaign.errors import render_error
from campaign.extensions import Model, db
from campaign.models import utcnow

View = TypeVar("View", bound=Callable[..., Any])
# Every anonymised e-mail address ends so, unique by its row id and never deliverable.
ANONYMISED_DOMAIN = "anonymised.invalid"


class CampaignClosure(Model):
    """When the campaign closed and when its personal data is to be anonymised."""

    __tablename__ = "campaign_closure"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    closed_at: Mapped[dt.datetime]
    anonymise_at: Mapped[dt.datetime]


def current_closure() -> CampaignClosure | None:
    """The closure, if the campaign has closed."""
    return db.session.get(CampaignClosure, 1)


def is_closed() -> bool:
    """Whether sign-up has stopped."""
    return current_closure() is not None


def anonymise_due(now: dt.datetime) -> bool:
    """Whether the campaign has closed and its anonymisation date has come."""
    closure = current_closure()
    return closure is not None and now >= closure.anonymise_at


def close_campaign(anonymise_after_days: int, now: dt.datetime) -> CampaignClosure:
    """Close the campaign now (or move the anonymisation date of a closed one)."""
    closure = current_closure()
    if closure is None:
        closure = CampaignClosure(id=1, closed_at=now, anonymise_at=now)
        db.session.add(closure)
    closure.anonymise_at = closure.closed_at + dt.timedelta(days=anonymise_after_days)
    return closure


def closes_with_campaign(view: View) -> View:
    """Make a sign-up view answer "closed" once the campaign has closed.

    A page gets the closed page; a form post gets 410 in the shape it asked for (an htmx
    fragment in the form's problem area, or the full error page).
    """

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        closure = current_closure()
        if closure is None:
            return view(*args, **kwargs)
        if request.method in ("GET", "HEAD"):
            return make_response(render_template("closed.html", closure=closure), 200)
        return render_error(
            410, "The campaign has closed, so sign-up has stopped.", title="Sign-up has closed"
        )

    return guarded  # type: ignore[return-value]


campaign_cli = AppGroup("campaign", help="The campaign as a whole: closing it.")


@campaign_cli.command("close")
@click.option(
    "--anonymise-after",
    "days",
    required=True,
    type=click.IntRange(min=0, max=3650),
    help="Days after closing when personal data is anonymised (counts are kept).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def close_command(days: int, yes: bool) -> None:
    """Stop sign-up now; anonymise personal data DAYS days from now (by the scheduler)."""
    if not yes:
        click.confirm(
            f"Close the campaign now and anonymise everyone's personal data in {days} days?",
            abort=True,
        )
    closure = close_campaign(days, utcnow())
    db.session.commit()
    click.echo(
        f"Campaign closed {closure.closed_at:%Y-%m-%d %H:%M} UTC: sign-up has stopped. Personal "
        f"data will be anonymised from {closure.anonymise_at:%Y-%m-%d %H:%M} UTC by the "
        "scheduled jobs (flask mail work, or flask maintenance run)."
    )


def init_closure(app: Flask) -> None:
    """Add the `flask campaign` commands."""
    app.cli.add_command(campaign_cli)


def anonymised_email(row_id: int) -> str:
    """The address an anonymised row keeps: unique, recognisable, undeliverable."""
    return f"{row_id}@{ANONYMISED_DOMAIN}"


def anonymised_email_expression(
    row_id: sa.ColumnElement[int] | QueryableAttribute[int],
) -> sa.ColumnElement[str]:
    """`anonymised_email` as SQL, for bulk updates."""
    return sa.cast(row_id, sa.String) + f"@{ANONYMISED_DOMAIN}"


def not_yet_anonymised(
    email: sa.ColumnElement[str] | QueryableAttribute[str],
) -> sa.ColumnElement[bool]:
    """Rows whose address has not been anonymised yet."""
    return sa.not_(email.endswith(f"@{ANONYMISED_DOMAIN}"))
