"""The counters pages."""

from campaign.counters import bp  # noqa: F401
