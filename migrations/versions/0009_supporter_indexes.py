"""Drop ix_supporters_created_at: ix_supporters_created_at_id leads with the same column.

Every index on the supporters table is now declared on the Supporter model; this is the one
that was redundant (a B-tree on (created_at, id) serves every lookup by created_at alone).

Revision ID: 0009_supporter_indexes
Revises: 0008_trust_sessions
"""

from alembic import op

revision = "0009_supporter_indexes"
down_revision = "0008_trust_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_supporters_created_at", table_name="supporters")


def downgrade():
    op.create_index("ix_supporters_created_at", "supporters", ["created_at"], unique=False)
