"""Admins invite organisers by e-mail: one-time links kept only as keyed hashes.

Revision ID: 0018_trust_invites
Revises: 0017_paper_event
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_trust_invites"
down_revision = "0017_paper_event"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organiser_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "role IN ('viewer', 'moderator', 'organiser', 'admin')",
            name=op.f("ck_organiser_invites_role_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organiser_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_organiser_invites_token_hash")),
    )
    op.create_index(op.f("ix_organiser_invites_email"), "organiser_invites", ["email"])


def downgrade():
    op.drop_index(op.f("ix_organiser_invites_email"), table_name="organiser_invites")
    op.drop_table("organiser_invites")
