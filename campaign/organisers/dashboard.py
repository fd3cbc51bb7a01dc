"""The dashboard's numbers and its two server-rendered charts (plain SVG geometry)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.groups.models import Group
from campaign.mail.services import outbox_health
from campaign.models import utcnow
from campaign.organisers.features import groups_awaiting_review, signups_by_source, top_referrers
from campaign.organisers.supporters import consented
from campaign.regions import OUTSIDE_UK, REGIONS
from campaign.tally import read_tallies

CHART_DAYS = 30


@dataclass
class Bar:
    """One bar of a chart: its label, value and place in the SVG's coordinates."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def day_chart(
    per_day: dict[dt.date, int],
    today: dt.date,
    days: int = CHART_DAYS,
    width: int = 600,
    height: int = 160,
) -> list[Bar]:
    """Vertical bars for each of the last `days` days, ending today."""
    top = max(per_day.values(), default=0) or 1
    slot = width / days
    bars = []
    for index in range(days):
        day = today - dt.timedelta(days=days - 1 - index)
        value = per_day.get(day, 0)
        bar_height = round(height * value / top, 1)
        bars.append(
            Bar(
                f"{day.day} {day:%b}",
                value,
                round(index * slot + 1, 1),
                height - bar_height,
                round(slot - 2, 1),
                bar_height,
            )
        )
    return bars


def region_chart(per_region: dict[str, int], width: int = 200, row: int = 24) -> list[Bar]:
    """Horizontal bars, one per region (and outside the UK), largest first."""
    labels = {**REGIONS, OUTSIDE_UK: "Outside the UK"}
    items = sorted(((labels[k], per_region.get(k, 0)) for k in labels), key=lambda i: -i[1])
    top = max((v for _, v in items), default=0) or 1
    return [
        Bar(label, value, 0, index * row, round(width * value / top, 1), row - 4)
        for index, (label, value) in enumerate(items)
    ]


def dashboard_numbers(referrers: int = 10, queue_preview: int = 5) -> dict[str, Any]:
    """Everything the dashboard shows; the totals come from the running tallies."""
    tallies = read_tallies()
    per_day: dict[dt.date, int] = {}
    per_region: dict[str, int] = {}
    for key, value in tallies.items():
        if key.startswith("signatures:day:"):
            try:
                per_day[dt.date.fromisoformat(key.rsplit(":", 1)[1])] = value
            except ValueError:
                continue
        elif key.startswith("signatures:region:"):
            per_region[key.rsplit(":", 1)[1]] = value
    awaiting = groups_awaiting_review()
    awaiting_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(awaiting.order_by(None).subquery())
    )
    today = utcnow().date()
    return {
        "signatures": tallies.get("signatures", 0),
        "groups": tallies.get("groups", 0),
        "subscribers": db.session.scalar(
            sa.select(sa.func.count()).select_from(Supporter).where(consented())
        ),
        "unconfirmed": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Supporter)
            .where(Supporter.confirmed_at.is_(None))
        ),
        "day_bars": day_chart(per_day, today),
        "days_total": sum(v for d, v in per_day.items() if (today - d).days < CHART_DAYS),
        "region_bars": region_chart(per_region),
        "referrers": top_referrers(referrers),
        "sources": signups_by_source(),
        "awaiting": list(db.session.scalars(awaiting.limit(queue_preview))),
        "awaiting_count": awaiting_count,
        "fees_unpaid": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Group)
            .where(
                Group.fee_pence.is_not(None),
                Group.fee_paid_at.is_(None),
                Group.status == "approved",
            )
        ),
        "outbox": outbox_health(),
    }
