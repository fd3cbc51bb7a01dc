"""Personal data held by several features about one e-mail address, found and erased together.

A supporter's my-data page and erasure must reach everything the site holds about them,
including what other features keep (an event's RSVPs, say). Features register a holder
here; the appeal asks every holder, knowing none of them. This module knows no feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Rows = list[dict[str, str]]


@dataclass(frozen=True)
class Holder:
    """What one feature holds about an address: how to list it, and how to erase it."""

    label: str  # e.g. "Replies to events"
    find: Callable[[str], Rows]  # canonical e-mail -> rows of label -> value, for people
    erase: Callable[[str], int]  # canonical e-mail -> how many records were erased


HOLDERS: dict[str, Holder] = {}


def register_holder(name: str, holder: Holder) -> None:
    """Add a feature's holder (once, at import time)."""
    HOLDERS[name] = holder


def held_about(canonical_email: str) -> dict[str, Rows]:
    """Every registered holder's rows about an address, by label; holders with none left out."""
    found = {holder.label: holder.find(canonical_email) for holder in HOLDERS.values()}
    return {label: rows for label, rows in found.items() if rows}


def erase_everywhere(canonical_email: str) -> dict[str, int]:
    """Erase what every holder keeps about an address (in the caller's transaction)."""
    return {name: holder.erase(canonical_email) for name, holder in HOLDERS.items()}
