"""crisis mode: crises (one ongoing at a time), their updates, held drafts and update prompts

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _crisis_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["crisis_id"], ["crises.id"], name=op.f(f"fk_{table}_crisis_id_crises"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "crises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_by", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("ended_by", sa.String(length=32), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("ongoing", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crises")),
        sa.UniqueConstraint("ongoing", name=op.f("uq_crises_ongoing")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "crisis_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crisis_id", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _crisis_fk("crisis_updates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_updates")),
    )
    op.create_index(op.f("ix_crisis_updates_crisis_id"), "crisis_updates", ["crisis_id"])
    op.create_table(
        "crisis_held_drafts",
        sa.Column("crisis_id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        _crisis_fk("crisis_held_drafts"),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_crisis_held_drafts_draft_id_drafts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("crisis_id", "draft_id", name=op.f("pk_crisis_held_drafts")),
    )
    op.create_index(op.f("ix_crisis_held_drafts_draft_id"), "crisis_held_drafts", ["draft_id"])
    op.create_table(
        "crisis_update_prompts",
        sa.Column("crisis_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        _crisis_fk("crisis_update_prompts"),
        sa.PrimaryKeyConstraint("crisis_id", "number", name=op.f("pk_crisis_update_prompts")),
    )


def downgrade() -> None:
    op.drop_table("crisis_update_prompts")
    op.drop_table("crisis_held_drafts")
    op.drop_table("crisis_updates")
    op.drop_table("crises")
