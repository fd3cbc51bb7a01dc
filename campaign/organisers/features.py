"""The services of other features that the organisers' room calls, in one place."""

# ruff: noqa: F401
from campaign.appeal.services import (
    erase_supporter,
    new_referral_code,
    signups_by_source,
    top_referrers,
)
from campaign.groups.services import (
    InvalidTransition,
    approve_group,
    duplicates_of,
    groups_awaiting_review,
    record_fee_paid,
    reject_group,
    review_queue,
)
