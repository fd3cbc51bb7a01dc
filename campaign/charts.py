"""Server-rendered SVG charts: the geometry here, the markup in templates/_charts.html.

Plain numbers in, bars out: the public numbers page and the organisers' dashboard draw
their charts with the same two functions, so a fix to one is a fix to both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

BAR_ROW = 30  # px per bar in a bar chart
BAR_LABEL_WIDTH = 200  # "Yorkshire and the Humber" at 14px
# Narrow enough that on a phone the charts shrink by no more than about a third, so their
# 14px labels stay readable; site.css caps the width on wide screens.
CHART_WIDTH = 480
DAY_CHART_HEIGHT = 240
DAY_PLOT_LEFT, DAY_PLOT_BOTTOM, DAY_PLOT_TOP = 44, 28, 14


@dataclass(frozen=True)
class Bar:
    """One bar, in SVG user units, with where its value label goes."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    """An SVG chart's size, bars and axis labels, ready for the template."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    max_value: int
    total: int
    axis: tuple[tuple[float, float, str, str], ...] = ()  # (x, y, text, text-anchor)


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^n that is at least `value` (the axis top)."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def bar_chart(items: Sequence[tuple[str, int]]) -> Chart:
    """Horizontal bars of (label, value) pairs, largest first (equal values keep their order)."""
    items = sorted(items, key=lambda item: -item[1])
    top = max((value for _, value in items), default=0)
    scale = (CHART_WIDTH - BAR_LABEL_WIDTH - 60) / max(top, 1)
    bars = []
    for i, (label, value) in enumerate(items):
        y = i * BAR_ROW + 4
        width = value * scale
        bars.append(
            Bar(
                label=label,
                value=value,
                x=BAR_LABEL_WIDTH,
                y=y,
                width=round(width, 1),
                height=BAR_ROW - 8,
                text_x=round(BAR_LABEL_WIDTH + width + 6, 1),
                text_y=y + BAR_ROW / 2,
            )
        )
    return Chart(
        width=CHART_WIDTH,
        height=len(items) * BAR_ROW + 4,
        bars=tuple(bars),
        max_value=top,
        total=sum(value for _, value in items),
    )


def day_series(
    by_day: Mapping[dt.date, int], last_day: dt.date, days: int = 30
) -> list[tuple[dt.date, int]]:
    """The count of each of the `days` days ending on `last_day`, zeros filled in."""
    first = last_day - dt.timedelta(days=days - 1)
    return [
        (day, by_day.get(day, 0)) for day in (first + dt.timedelta(days=i) for i in range(days))
    ]


def day_chart(series: Sequence[tuple[dt.date, int]]) -> Chart:
    """Columns of a count per day, with the axis top and a few dates along the bottom."""
    top = nice_ceiling(max((n for _, n in series), default=0))
    plot_width = CHART_WIDTH - DAY_PLOT_LEFT - 8
    plot_height = DAY_CHART_HEIGHT - DAY_PLOT_TOP - DAY_PLOT_BOTTOM
    baseline = DAY_PLOT_TOP + plot_height
    slot = plot_width / max(len(series), 1)
    bars = []
    for i, (day, n) in enumerate(series):
        height = n / top * plot_height
        x = DAY_PLOT_LEFT + i * slot + slot * 0.15
        bars.append(
            Bar(
                label=f"{day.day} {day:%b}",
                value=n,
                x=round(x, 1),
                y=round(baseline - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                text_x=round(x + slot * 0.35, 1),
                text_y=round(baseline - height - 4, 1),
            )
        )
    axis = [
        (DAY_PLOT_LEFT - 6, DAY_PLOT_TOP + 4, f"{top:,}", "end"),
        (DAY_PLOT_LEFT - 6, baseline, "0", "end"),
    ]
    if bars:  # dates under the first, middle and last columns, kept inside the chart
        first, middle, last = bars[0], bars[len(bars) // 2], bars[-1]
        axis.append((first.x, DAY_CHART_HEIGHT - 8, first.label, "start"))
        axis.append((middle.text_x, DAY_CHART_HEIGHT - 8, middle.label, "middle"))
        axis.append((last.x + last.width, DAY_CHART_HEIGHT - 8, last.label, "end"))
    return Chart(
        width=CHART_WIDTH,
        height=DAY_CHART_HEIGHT,
        bars=tuple(bars),
        max_value=top,
        total=sum(n for _, n in series),
        axis=tuple(axis),
    )
