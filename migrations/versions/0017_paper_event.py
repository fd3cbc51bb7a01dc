"""A paper batch may name the event its forms were signed at.

Revision ID: 0017_paper_event
Revises: 0016_trust_login
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_paper_event"
down_revision = "0016_trust_login"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("paper_batches") as batch:
        batch.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_paper_batches_event_id"), ["event_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_paper_batches_event_id_events"),
            "events",
            ["event_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("paper_batches") as batch:
        batch.drop_constraint(batch.f("fk_paper_batches_event_id_events"), type_="foreignkey")
        batch.drop_index(batch.f("ix_paper_batches_event_id"))
        batch.drop_column("event_id")
