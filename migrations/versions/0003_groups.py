"""Group affiliations, their representatives and status history.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('name_normalised', sa.String(length=150), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('region', sa.String(length=20), nullable=False),
    sa.Column('town', sa.String(length=100), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_email_canonical', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('members', sa.Integer(), nullable=True),
    sa.Column('decided_how', sa.String(length=500), nullable=False),
    sa.Column('statement', sa.String(length=1000), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('rejection_reason', sa.String(length=500), nullable=True),
    sa.Column('decided_by', sa.String(length=254), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('fee_pence', sa.Integer(), nullable=True),
    sa.Column('fee_paid_at', sa.DateTime(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_reason', sa.String(length=200), nullable=True),
    sa.Column('ip_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('local-left-group', 'momentum-branch', 'clp', 'trade-union', 'national-organisation', 'other')", name=op.f('ck_groups_kind_known')),
    sa.CheckConstraint("status IN ('submitted', 'confirmed', 'approved', 'rejected', 'withdrawn')", name=op.f('ck_groups_status_known')),
    sa.CheckConstraint('fee_pence IS NULL OR fee_pence >= 0', name=op.f('ck_groups_fee_not_negative')),
    sa.CheckConstraint('members IS NULL OR members >= 0', name=op.f('ck_groups_members_not_negative')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['groups.id'], name=op.f('fk_groups_duplicate_of_id_groups'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups'))
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_groups_contact_email_canonical'), ['contact_email_canonical'], unique=False)
        batch_op.create_index(batch_op.f('ix_groups_name_normalised'), ['name_normalised'], unique=False)
        batch_op.create_index('ix_groups_status_kind_region', ['status', 'kind', 'region'], unique=False)
        batch_op.create_index('ix_groups_status_name', ['status', 'name_normalised'], unique=False)
    op.create_table('group_representatives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.CheckConstraint('position BETWEEN 1 AND 3', name=op.f('ck_group_representatives_position_range')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_representatives_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_representatives')),
    sa.UniqueConstraint('group_id', 'position', name='uq_group_representatives_position')
    )
    op.create_table('group_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('by', sa.String(length=254), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_events_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_events'))
    )
    with op.batch_alter_table('group_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_events_group_id'), ['group_id'], unique=False)


def downgrade():
    with op.batch_alter_table('group_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_events_group_id'))
    op.drop_table('group_events')
    op.drop_table('group_representatives')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index('ix_groups_status_name')
        batch_op.drop_index('ix_groups_status_kind_region')
        batch_op.drop_index(batch_op.f('ix_groups_name_normalised'))
        batch_op.drop_index(batch_op.f('ix_groups_contact_email_canonical'))
    op.drop_table('groups')
