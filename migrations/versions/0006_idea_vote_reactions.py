"""which reactions make up a person's vote on an idea

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `+1` and `+1::skin-tone-3` are one vote, but Slack lets a person add both: the vote is
    # withdrawn only when the last of them is removed.
    op.create_table(
        "idea_vote_reactions",
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("reaction", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_idea_vote_reactions_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("idea_id", "user_id", "reaction", name=op.f("pk_idea_vote_reactions")),
    )
    # Votes cast before this table: which variant made them is unknown, so each gets the marker
    # "", which stands for that reaction: removing a reaction that has no row of its own clears it.
    op.execute(
        "INSERT INTO idea_vote_reactions (idea_id, user_id, reaction) SELECT idea_id, user_id, '' FROM idea_votes"
    )


def downgrade() -> None:
    op.drop_table("idea_vote_reactions")
