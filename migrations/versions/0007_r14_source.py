"""Supporters remember where their sign-up came from (`?source=`, or the embedding site).

Revision ID: 0007_r14_source
Revises: 0006, 0006_scheduled_jobs
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_r14_source"
down_revision = ("0006", "0006_scheduled_jobs")  # also joins the two 0006 branches
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('supporters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_supporters_source'), ['source'], unique=False)


def downgrade():
    with op.batch_alter_table('supporters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supporters_source'))
        batch_op.drop_column('source')
