"""account_days: followers and mentions per account and day, imported from the team's tools

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("mentions", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("day", "account", name=op.f("pk_account_days")),
    )


def downgrade() -> None:
    op.drop_table("account_days")
