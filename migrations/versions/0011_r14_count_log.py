"""The public count log: one hash-chained entry of the numbers a day.

Revision ID: 0011_r14_count_log
Revises: 0010_trust_audit_rows
"""
from alembic import op
import sqlalchemy as sa

revision = "0011_r14_count_log"
down_revision = "0010_trust_audit_rows"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('count_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('prev', sa.String(length=64), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(hash) = 64', name=op.f('ck_count_log_hash_is_sha256')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_log')),
    sa.UniqueConstraint('day', name=op.f('uq_count_log_day')),
    sa.UniqueConstraint('hash', name=op.f('uq_count_log_hash')),
    sa.UniqueConstraint('prev', name=op.f('uq_count_log_prev'))
    )


def downgrade():
    op.drop_table('count_log')
