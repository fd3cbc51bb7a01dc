"""The audit log counts the personal records each look showed, for the hourly ceiling.

Revision ID: 0010_trust_audit_rows
Revises: 0009_supporter_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_trust_audit_rows"
down_revision = "0009_supporter_indexes"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (not a batch copy): on SQLite, copying the table would drop the
    # triggers that keep the audit log append-only.
    op.add_column("audit_log", sa.Column("rows_shown", sa.Integer(), nullable=True))
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at"], unique=False)


def downgrade():
    op.drop_index("ix_audit_log_actor_at", table_name="audit_log")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE audit_log DROP COLUMN rows_shown")  # SQLite 3.35+, keeps triggers
    else:
        op.drop_column("audit_log", "rows_shown")
