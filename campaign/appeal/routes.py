"""The appeal pages."""

from campaign.appeal import bp  # noqa: F401
