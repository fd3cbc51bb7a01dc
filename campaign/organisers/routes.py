"""The organisers pages."""

from campaign.organisers import bp  # noqa: F401
