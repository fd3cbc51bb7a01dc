"""Organisers' session generation: raised by one to end every session of an account.

Revision ID: 0008_trust_sessions
Revises: 0007_r14_source
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_trust_sessions"
down_revision = "0007_r14_source"
branch_labels = None
depends_on = None


def upgrade():
    # Existing accounts start at generation 0; their current sessions (made by the old
    # code, naming a password fingerprint) no longer match and must log in again.
    op.add_column(
        "organisers",
        sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade():
    with op.batch_alter_table("organisers") as batch_op:
        batch_op.drop_column("session_generation")
