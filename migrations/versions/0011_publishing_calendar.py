"""the publishing calendar: plans, their accounts, publications, notes, fired timers, weekly posts

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _draft_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["draft_id"], ["drafts.id"], name=op.f(f"fk_{table}_draft_id_drafts"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "calendar_plans",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.String(length=500), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=True),
        sa.Column("brand", sa.String(length=40), nullable=False),
        sa.Column("client_approvers", sa.String(length=500), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("links", sa.Text(), nullable=False),
        sa.Column("planned_by", sa.String(length=32), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        _draft_fk("calendar_plans"),
        sa.PrimaryKeyConstraint("draft_id", name=op.f("pk_calendar_plans")),
    )
    op.create_index("ix_calendar_plans_slot", "calendar_plans", ["slot"])
    op.create_table(
        "calendar_plan_accounts",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=True),
        _draft_fk("calendar_plan_accounts"),
        sa.PrimaryKeyConstraint("draft_id", "account", name=op.f("pk_calendar_plan_accounts")),
    )
    op.create_index("ix_calendar_plan_accounts_account_slot", "calendar_plan_accounts", ["account", "slot"])
    op.create_table(
        "calendar_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("by", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        _draft_fk("calendar_publications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_publications")),
        sa.UniqueConstraint("draft_id", "account", name="uq_calendar_publications_draft_account"),
    )
    op.create_index(op.f("ix_calendar_publications_draft_id"), "calendar_publications", ["draft_id"])
    op.create_table(
        "calendar_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("blackout", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_notes")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_calendar_notes_start_end", "calendar_notes", ["start", "end"])
    op.create_table(
        "calendar_timers",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        _draft_fk("calendar_timers"),
        sa.PrimaryKeyConstraint("draft_id", "kind", "slot", name=op.f("pk_calendar_timers")),
    )
    op.create_table(
        "calendar_weeks_posted",
        sa.Column("run", sa.String(length=20), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run", name=op.f("pk_calendar_weeks_posted")),
    )


def downgrade() -> None:
    op.drop_table("calendar_weeks_posted")
    op.drop_table("calendar_timers")
    op.drop_index("ix_calendar_notes_start_end", table_name="calendar_notes")
    op.drop_table("calendar_notes")
    op.drop_index(op.f("ix_calendar_publications_draft_id"), table_name="calendar_publications")
    op.drop_table("calendar_publications")
    op.drop_index("ix_calendar_plan_accounts_account_slot", table_name="calendar_plan_accounts")
    op.drop_table("calendar_plan_accounts")
    op.drop_index("ix_calendar_plans_slot", table_name="calendar_plans")
    op.drop_table("calendar_plans")
