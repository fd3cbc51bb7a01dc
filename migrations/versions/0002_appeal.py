"""Supporters: signatures of the appeal and bulletin subscribers.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supporters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_canonical', sa.String(length=254), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('region', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=100), nullable=True),
    sa.Column('labour_member', sa.String(length=10), nullable=True),
    sa.Column('trade_union', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.String(length=280), nullable=True),
    sa.Column('show_publicly', sa.Boolean(), nullable=False),
    sa.Column('bulletin_consent', sa.Boolean(), nullable=False),
    sa.Column('referral_code', sa.String(length=16), nullable=False),
    sa.Column('referred_by', sa.String(length=16), nullable=True),
    sa.Column('ip_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("labour_member IS NULL OR labour_member IN ('yes', 'no', 'lapsed')", name=op.f('ck_supporters_labour_member_known')),
    sa.CheckConstraint('postcode IS NULL OR country IS NULL', name=op.f('ck_supporters_postcode_or_country')),
    sa.CheckConstraint('referred_by IS NULL OR referred_by <> referral_code', name=op.f('ck_supporters_not_self_referred')),
    sa.CheckConstraint('signed_at IS NULL OR (first_name IS NOT NULL AND last_name IS NOT NULL)', name=op.f('ck_supporters_signature_has_names')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supporters')),
    sa.UniqueConstraint('email_canonical', name=op.f('uq_supporters_email_canonical')),
    sa.UniqueConstraint('referral_code', name=op.f('uq_supporters_referral_code'))
    )
    with op.batch_alter_table('supporters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supporters_confirmed_at'), ['confirmed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supporters_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supporters_referred_by'), ['referred_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_supporters_region'), ['region'], unique=False)


def downgrade():
    with op.batch_alter_table('supporters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supporters_region'))
        batch_op.drop_index(batch_op.f('ix_supporters_referred_by'))
        batch_op.drop_index(batch_op.f('ix_supporters_created_at'))
        batch_op.drop_index(batch_op.f('ix_supporters_confirmed_at'))
    op.drop_table('supporters')
