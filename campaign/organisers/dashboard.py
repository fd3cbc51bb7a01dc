"""The dashboard's numbers and its two charts (drawn by campaign/charts.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.charts import bar_chart, day_chart, day_series
from campaign.extensions import db
from campaign.groups.models import Group
from campaign.mail.services import outbox_health
from campaign.models import utcnow
from campaign.organisers.features import groups_awaiting_review, signups_by_source, top_referrers
from campaign.organisers.supporters import consented
from campaign.regions import AREA_NAMES, NATIONAL
from campaign.tally import read_tallies

CHART_DAYS = 30
# The areas a signature is counted in: the regions and outside the UK (not UK-wide).
AREAS = {area: name for area, name in AREA_NAMES.items() if area != NATIONAL}


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
        "days": day_chart(day_series(per_day, today, CHART_DAYS)),
        "regions": bar_chart([(name, per_region.get(area, 0)) for area, name in AREAS.items()]),
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
