"""Counted nouns in messages: "1 supporter", "2,001 supporters", "1 tally", "2 tallies"."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """The count with thousands separators, then the noun in the number it needs."""
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:,} {noun}"
