"""escalation links of any length

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A link pasted from a social network (tracking parameters and all) can be longer than the 500
    # characters first allowed, and escaping each `&` makes it longer still. SQLite does not enforce
    # a VARCHAR's length (and rebuilding the table there would touch its foreign keys), so only
    # PostgreSQL's column changes.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("escalations", "link", type_=sa.Text(), existing_type=sa.String(500))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("escalations", "link", type_=sa.String(500), existing_type=sa.Text())
