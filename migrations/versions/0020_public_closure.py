"""The campaign's closure: when sign-up stopped and when personal data is anonymised.

Revision ID: 0020_public_closure
Revises: 0019_news_posts
"""
from alembic import op
import sqlalchemy as sa

revision = "0020_public_closure"
down_revision = "0019_news_posts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_closure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=False),
    sa.Column('anonymise_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_campaign_closure_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_closure'))
    )


def downgrade():
    op.drop_table('campaign_closure')
