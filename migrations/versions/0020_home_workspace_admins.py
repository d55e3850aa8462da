"""whether a person who opened their Home tab is a workspace admin or owner (Slack said so when
they last opened it), so their tab carries the Settings button

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("home_views") as batch:
        batch.add_column(sa.Column("workspace_admin", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("home_views") as batch:
        batch.drop_column("workspace_admin")
