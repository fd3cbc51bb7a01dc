"""Server-rendered SVG charts: the geometry here, the markup in templates/_charts.html.

Plain numbers in, bars out: the public numbers page and the organisers' dashboard draw
their charts with the same two functions, so a fix to one is a fix to both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# 320 units wide, about a phone's column: at 320 px the charts are drawn at 0.9 scale and
# their 14-15 unit labels read at 12.6-13.5 px, at 390 px at 15-17; site.css draws the text a little
# smaller in units on wider screens, where the charts grow (measured in Chromium).
CHART_WIDTH = 320
# Bar chart: each bar's name on its own line above it, so a long name ("Yorkshire and the
# Humber") never squeezes the bars.
BAR_ROW = 42
BAR_HEIGHT = 14
BAR_VALUE_ROOM = 52  # units right of the longest bar for its value
DAY_CHART_HEIGHT = 200
DAY_PLOT_LEFT, DAY_PLOT_BOTTOM, DAY_PLOT_TOP = 50, 28, 14


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
    label_x: float = 0  # where the bar's name goes (the bar chart draws it above)
    label_y: float = 0


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
    """Horizontal bars of (name, value) pairs, largest first (equal values keep their order)."""
    items = sorted(items, key=lambda item: -item[1])
    top = max((value for _, value in items), default=0)
    scale = (CHART_WIDTH - BAR_VALUE_ROOM) / max(top, 1)
    bars = []
    for i, (label, value) in enumerate(items):
        row = i * BAR_ROW
        y = row + BAR_ROW - BAR_HEIGHT - 6
        width = value * scale
        bars.append(
            Bar(
                label=label,
                value=value,
                x=0,
                y=y,
                width=round(width, 1),
                height=BAR_HEIGHT,
                text_x=round(width + 6, 1),
                text_y=y + BAR_HEIGHT / 2,
                label_x=0,
                label_y=y - 5,
            )
        )
    return Chart(
        width=CHART_WIDTH,
        height=len(items) * BAR_ROW,
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
    axis: list[tuple[float, float, str, str]] = [
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
