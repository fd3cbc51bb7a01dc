"""Running tallies for the live counters, and the index of the recent-signers ticker.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tallies',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('value >= 0', name=op.f('ck_tallies_value_not_negative')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_tallies'))
    )
    with op.batch_alter_table('supporters', schema=None) as batch_op:
        batch_op.create_index('ix_supporters_public_recent', ['show_publicly', 'confirmed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('supporters', schema=None) as batch_op:
        batch_op.drop_index('ix_supporters_public_recent')
    op.drop_table('tallies')
