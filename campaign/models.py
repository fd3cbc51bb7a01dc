"""Shared column helpers for the feature models."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, Result


def utcnow() -> dt.datetime:
    """The current time in UTC, timezone-naive as stored in the database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE, DELETE or INSERT statement's result changed."""
    # Session.execute is typed as returning a Result, whose rowcount only its subclass
    # CursorResult (what a DML statement actually gives) declares.
    return cast(CursorResult[Any], result).rowcount
