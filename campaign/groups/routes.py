"""The groups pages."""

from campaign.groups import bp  # noqa: F401
