"""News posts written in the organisers' room.

Revision ID: 0019_news_posts
Revises: 0018_trust_invites
"""
from alembic import op
import sqlalchemy as sa

revision = "0019_news_posts"
down_revision = "0018_trust_invites"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "news_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.String(length=400), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("publish_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published')", name=op.f("ck_news_posts_status_known")),
        sa.CheckConstraint(
            "status <> 'published' OR publish_at IS NOT NULL",
            name=op.f("ck_news_posts_published_has_time"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news_posts")),
        sa.UniqueConstraint("slug", name=op.f("uq_news_posts_slug")),
    )
    with op.batch_alter_table("news_posts", schema=None) as batch_op:
        batch_op.create_index("ix_news_posts_status_publish_at", ["status", "publish_at"], unique=False)


def downgrade():
    op.drop_table("news_posts")
