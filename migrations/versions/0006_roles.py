"""Organiser roles in four ranks: viewer, moderator, organiser, admin.

Existing accounts keep their role ('organiser' or 'admin'), which both remain.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WIDE = "role IN ('viewer', 'moderator', 'organiser', 'admin')"
NARROW = "role IN ('admin', 'organiser')"


def _replace_role_check(condition: str) -> None:
    name = op.f("ck_organisers_role_known")
    # On SQLite batch mode copies the table with the new CHECK in place of the old one.
    with op.batch_alter_table("organisers") as batch:
        batch.drop_constraint(name, type_="check")
        batch.create_check_constraint(name, condition)


def upgrade():
    _replace_role_check(WIDE)


def downgrade():
    op.execute("UPDATE organisers SET role = 'organiser' WHERE role IN ('viewer', 'moderator')")
    _replace_role_check(NARROW)
