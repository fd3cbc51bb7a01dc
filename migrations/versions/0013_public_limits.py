"""Rate-limit counters shared by all processes; sign-ups held for review; per-client index.

Revision ID: 0013_public_limits
Revises: 0012_events
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_public_limits"
down_revision = "0012_events"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters'))
    )
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counters_expires_at'), ['expires_at'], unique=False)
    with op.batch_alter_table('supporters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_supporters_held_at'), ['held_at'], unique=False)
        batch_op.create_index('ix_supporters_ip_hash_created_at', ['ip_hash', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('supporters', schema=None) as batch_op:
        batch_op.drop_index('ix_supporters_ip_hash_created_at')
        batch_op.drop_index(batch_op.f('ix_supporters_held_at'))
        batch_op.drop_column('held_at')
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counters_expires_at'))
    op.drop_table('rate_limit_counters')
