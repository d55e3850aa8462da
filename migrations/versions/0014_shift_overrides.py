"""shift overrides: swaps (`/shift swap`) and time away (`/shift away`)

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shift_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("shift", sa.String(length=64), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("from_user", sa.String(length=32), nullable=False),
        sa.Column("to_user", sa.String(length=32), nullable=True),
        sa.Column("asked_user", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_overrides")),
    )
    op.create_index("ix_shift_overrides_days", "shift_overrides", ["first_day", "last_day"])
    op.create_index(op.f("ix_shift_overrides_from_user"), "shift_overrides", ["from_user"])


def downgrade() -> None:
    op.drop_index(op.f("ix_shift_overrides_from_user"), table_name="shift_overrides")
    op.drop_index("ix_shift_overrides_days", table_name="shift_overrides")
    op.drop_table("shift_overrides")
