"""Shared column helpers for the feature models."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """The current time in UTC, timezone-naive as stored in the database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
