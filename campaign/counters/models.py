"""Running tallies: one row per counter, kept exact in the transactions that change it."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import db


class Tally(db.Model):
    """A named running count such as "signatures" or "groups:kind:momentum-branch"."""

    __tablename__ = "tallies"
    __table_args__ = (sa.CheckConstraint("value >= 0", name="value_not_negative"),)

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)
