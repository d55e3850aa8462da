"""the iCalendar file's events as last serialized, per planned post or note, with the fingerprint of its row

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
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("ical", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_calendar_ics_events")),
    )


def downgrade() -> None:
    op.drop_table("calendar_ics_events")
