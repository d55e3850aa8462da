"""which approve reactions a person has on a draft and its status message

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A person may have the approve emoji on the draft and on its status message, or in two skin
    # tones: their approval is withdrawn only when the last of them is removed. (Reactions added
    # before this table have no row, so removing one withdraws, as before.)
    op.create_table(
        "draft_approve_reactions",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("reaction", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_draft_approve_reactions_draft_id_drafts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "draft_id", "user_id", "message_ts", "reaction", name=op.f("pk_draft_approve_reactions")
        ),
    )


def downgrade() -> None:
    op.drop_table("draft_approve_reactions")
