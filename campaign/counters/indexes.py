"""Indexes the counters feature needs on other features' tables.

Kept out of models.py because `tally` imports that module, and the appeal's services import
`tally`: importing the appeal's models from there would close an import cycle.
"""

import sqlalchemy as sa

from campaign.appeal.models import Supporter

# The recent-signers ticker reads the newest public signatures: with this index that is a
# short backward range scan, however many supporters chose not to be shown.
ix_supporters_public_recent = sa.Index(
    "ix_supporters_public_recent", Supporter.show_publicly, Supporter.confirmed_at
)
