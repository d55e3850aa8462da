"""the standout posts each weekly report named, so that only their authors may explain them

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_standouts",
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_report_standouts_draft_id_drafts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["week"], ["weekly_reports.week"], name=op.f("fk_report_standouts_week_weekly_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("week", "draft_id", name=op.f("pk_report_standouts")),
    )
    # Reports posted before: the posts their authors already explained were standouts for sure.
    op.execute(
        "INSERT INTO report_standouts (week, draft_id, author) SELECT week, draft_id, author FROM report_explanations"
    )


def downgrade() -> None:
    op.drop_table("report_standouts")
