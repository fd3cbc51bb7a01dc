"""Log-in that cannot be turned against its owner: throttles by client, no account lock;
the optional TOTP second factor and its recovery codes.

Revision ID: 0016_trust_login
Revises: 0015_alliance
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_trust_login"
down_revision = "0015_alliance"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_login_throttles_failures_not_negative")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_index(
        op.f("ix_login_throttles_last_failure_at"), "login_throttles", ["last_failure_at"]
    )
    op.create_table(
        "organiser_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["organisers.id"],
            name=op.f("fk_organiser_recovery_codes_organiser_id_organisers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organiser_recovery_codes")),
    )
    op.create_index(
        op.f("ix_organiser_recovery_codes_organiser_id"),
        "organiser_recovery_codes",
        ["organiser_id"],
    )
    # The account-wide lock goes: a stranger could renew it for ever.
    with op.batch_alter_table("organisers", recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_organisers_failed_logins_not_negative"), type_="check")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("organisers") as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_organisers_failed_logins_not_negative"), "failed_logins >= 0"
        )
    op.drop_index(
        op.f("ix_organiser_recovery_codes_organiser_id"), table_name="organiser_recovery_codes"
    )
    op.drop_table("organiser_recovery_codes")
    op.drop_index(op.f("ix_login_throttles_last_failure_at"), table_name="login_throttles")
    op.drop_table("login_throttles")
