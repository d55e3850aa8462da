"""drop once_keys: no code has written or read it since scheduled sends were keyed in the outbox

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("once_keys")


def downgrade() -> None:
    op.create_table(
        "once_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_once_keys")),
    )
