"""ideas get an owner, an account and a target date (`/idea assign`); drafts that say `idea #N` are
linked to that idea

Revision ID: 0017
Revises: 0016
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# How a draft names an idea, as the ideas feature read it when this migration was written.
_MENTION = re.compile(r"\bidea\s?#(\d{1,9})\b", re.IGNORECASE)


def upgrade() -> None:
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("account", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("target_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("assigned_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "idea_drafts",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_idea_drafts_draft_id_drafts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_idea_drafts_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("draft_id", name=op.f("pk_idea_drafts")),
    )
    op.create_index(op.f("ix_idea_drafts_idea_id"), "idea_drafts", ["idea_id"])
    _link_existing_drafts()


def _link_existing_drafts() -> None:
    """Drafts written before this migration that already name an idea are linked to it, as a draft
    written now would be (the first idea named that exists; linked when the draft last changed)."""
    connection = op.get_bind()
    ideas = {row[0] for row in connection.execute(sa.text("SELECT id FROM ideas"))}
    if not ideas:
        return
    drafts = connection.execute(
        sa.text("SELECT id, text, updated_at FROM drafts WHERE lower(text) LIKE :idea"), {"idea": "%idea%#%"}
    )
    links = []
    for draft_id, text, updated_at in drafts:
        idea_id = next((int(m.group(1)) for m in _MENTION.finditer(text or "") if int(m.group(1)) in ideas), None)
        if idea_id is not None:
            links.append({"draft_id": draft_id, "idea_id": idea_id, "linked_at": updated_at})
    if links:
        connection.execute(
            sa.text("INSERT INTO idea_drafts (draft_id, idea_id, linked_at) VALUES (:draft_id, :idea_id, :linked_at)"),
            links,
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_idea_drafts_idea_id"), table_name="idea_drafts")
    op.drop_table("idea_drafts")
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("assigned_by")
        batch_op.drop_column("target_date")
        batch_op.drop_column("account")
        batch_op.drop_column("owner")
