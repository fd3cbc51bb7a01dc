"""Supporters: people who signed the appeal or joined the bulletin (one row per address)."""

from __future__ import annotations

import datetime as dt
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from campaign.extensions import Model
from campaign.models import utcnow

LABOUR_MEMBER_CHOICES = {
    "yes": "Yes",
    "no": "No",
    "lapsed": "Lapsed or expelled",
}


class Supporter(Model):
    """A signature of the appeal and/or a bulletin subscription, keyed by canonical e-mail.

    `signed_at` is None for a bulletin-only supporter; a signature counts once
    `confirmed_at` is set (the address was proven by the e-mailed link).
    """

    __tablename__ = "supporters"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))  # as typed, for sending
    email_canonical: Mapped[str] = mapped_column(sa.String(254), unique=True)
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str | None] = mapped_column(sa.String(100))
    postcode: Mapped[str | None] = mapped_column(sa.String(8))  # "SW1A 1AA"; None outside UK
    region: Mapped[str | None] = mapped_column(sa.String(20))  # campaign.regions
    country: Mapped[str | None] = mapped_column(sa.String(100))  # only when outside the UK
    labour_member: Mapped[str | None] = mapped_column(sa.String(10))
    trade_union: Mapped[str | None] = mapped_column(sa.String(100))
    reason: Mapped[str | None] = mapped_column(sa.String(280))
    show_publicly: Mapped[bool] = mapped_column(default=False)
    bulletin_consent: Mapped[bool] = mapped_column(default=False)
    referral_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    referred_by: Mapped[str | None] = mapped_column(sa.String(16))
    # Where the sign-up came from: a campaign's `?source=` label or the origin of the page
    # that embedded the form ("embed:https://ally.example"); cut by appeal.services.
    source: Mapped[str | None] = mapped_column(sa.String(64))
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    signed_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None]
    unsubscribed_at: Mapped[dt.datetime | None]
    # Set when the sign-up came in a flood from one client address: it is not counted,
    # confirmed or not, until a moderator releases it at the abuse desk.
    held_at: Mapped[dt.datetime | None]

    __table_args__ = (
        sa.CheckConstraint(
            "labour_member IS NULL OR labour_member IN ('yes', 'no', 'lapsed')",
            name="labour_member_known",
        ),
        sa.CheckConstraint(
            "signed_at IS NULL OR (first_name IS NOT NULL AND last_name IS NOT NULL)",
            name="signature_has_names",
        ),
        sa.CheckConstraint("postcode IS NULL OR country IS NULL", name="postcode_or_country"),
        sa.CheckConstraint(
            "referred_by IS NULL OR referred_by <> referral_code", name="not_self_referred"
        ),
        # Every index on the table, with the reader it serves.
        sa.Index("ix_supporters_region", "region"),  # the organisers' region filter
        sa.Index("ix_supporters_referred_by", "referred_by"),  # the referrers' league
        sa.Index("ix_supporters_source", "source"),  # sign-ups by source
        sa.Index("ix_supporters_confirmed_at", "confirmed_at"),  # unconfirmed rows, newest signers
        # The recent-signers ticker reads the newest public signatures: a short backward
        # range scan, however many supporters chose not to be shown.
        sa.Index("ix_supporters_public_recent", "show_publicly", "confirmed_at"),
        # The organisers' list walks (created_at, id) newest first; `flask appeal purge`
        # finds old unconfirmed rows by the same index's leading column.
        sa.Index("ix_supporters_created_at_id", "created_at", "id"),
        # Search by last name (case-insensitively) or postcode, by exact value or prefix.
        # On PostgreSQL the pattern_ops classes let LIKE 'x%' use the index whatever the
        # database's collation.
        sa.Index(
            "ix_supporters_last_name_lower",
            # In the class body `last_name` is still its MappedColumn: index its Column.
            sa.func.lower(cast("MappedColumn[str | None]", last_name).column).label(
                "last_name_lower"
            ),
            postgresql_ops={"last_name_lower": "text_pattern_ops"},
        ),
        sa.Index(
            "ix_supporters_postcode", "postcode", postgresql_ops={"postcode": "varchar_pattern_ops"}
        ),
        # The abuse desk: sign-ups per client address lately, and the flood to hold.
        sa.Index("ix_supporters_ip_hash_created_at", "ip_hash", "created_at"),
        sa.Index("ix_supporters_held_at", "held_at"),  # the held ones waiting for review
    )

    @property
    def subscribed(self) -> bool:
        """Whether the bulletin may be sent: consent given and not withdrawn."""
        return self.bulletin_consent and self.unsubscribed_at is None

    @hybrid_property
    def counted(self) -> bool:
        """Whether this row counts as a signature: signed, confirmed and not held."""
        return self.signed_at is not None and self.confirmed_at is not None and not self.held_at

    @counted.inplace.expression
    @classmethod
    def _counted_expression(cls) -> sa.ColumnElement[bool]:
        return sa.and_(
            cls.signed_at.is_not(None), cls.confirmed_at.is_not(None), cls.held_at.is_(None)
        )
