"""Outbox lanes; bulletins and their deliveries; news posts written in the room.

Revision ID: 0014_bulletins
Revises: 0013_public_limits
"""
from alembic import op
import sqlalchemy as sa

revision = "0014_bulletins"
down_revision = "0013_public_limits"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lane", sa.String(length=10), server_default="priority", nullable=False)
        )
        batch_op.create_check_constraint("lane_known", "lane IN ('priority', 'bulk')")
        batch_op.create_index("ix_outbox_lane_due", ["lane", "status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_outbox_lane_sent", ["lane", "sent_at"], unique=False)

    op.create_table(
        "bulletins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=150), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=20), nullable=True),
        sa.Column("labour_member", sa.String(length=10), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("audience_size", sa.Integer(), nullable=True),
        sa.Column("expanded_through", sa.BigInteger(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("sent_by", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'sent')", name=op.f("ck_bulletins_status_known")
        ),
        sa.CheckConstraint(
            "status <> 'scheduled' OR send_at IS NOT NULL", name=op.f("ck_bulletins_scheduled_has_time")
        ),
        sa.CheckConstraint(
            "labour_member IS NULL OR labour_member IN ('yes', 'no', 'lapsed')",
            name=op.f("ck_bulletins_labour_member_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletins")),
    )
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.create_index("ix_bulletins_status_send_at", ["status", "send_at"], unique=False)

    op.create_table(
        "bulletin_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"], ["bulletins.id"],
            name=op.f("fk_bulletin_deliveries_bulletin_id_bulletins"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"],
            name=op.f("fk_bulletin_deliveries_outbox_id_outbox"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supporter_id"], ["supporters.id"],
            name=op.f("fk_bulletin_deliveries_supporter_id_supporters"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin_deliveries")),
        sa.UniqueConstraint(
            "bulletin_id", "supporter_id", name="uq_bulletin_deliveries_one_per_person"
        ),
    )
    with op.batch_alter_table("bulletin_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulletin_deliveries_bulletin_id"), ["bulletin_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bulletin_deliveries_outbox_id"), ["outbox_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bulletin_deliveries_supporter_id"), ["supporter_id"], unique=False)


def downgrade():
    op.drop_table("bulletin_deliveries")
    op.drop_table("bulletins")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_lane_sent")
        batch_op.drop_index("ix_outbox_lane_due")
        batch_op.drop_constraint("lane_known", type_="check")
        batch_op.drop_column("lane")
