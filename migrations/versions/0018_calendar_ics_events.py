"""the iCalendar file's events as last serialized, each with the fingerprint of what it was made of

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_ics_events",
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("ical", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_calendar_ics_events")),
    )


def downgrade() -> None:
    op.drop_table("calendar_ics_events")
