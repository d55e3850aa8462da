"""escalations, shifts and handoffs

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("reporter", sa.String(length=32), nullable=False),
        sa.Column("source_channel", sa.String(length=32), nullable=True),
        sa.Column("source_ts", sa.String(length=32), nullable=True),
        sa.Column("source_author", sa.String(length=32), nullable=True),
        sa.Column("source_key", sa.String(length=80), nullable=True),
        sa.Column("assignee", sa.String(length=32), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("level_name", sa.String(length=32), nullable=False),
        _time("next_climb_at"),
        _time("created_at", nullable=False),
        _time("acknowledged_at"),
        sa.Column("acknowledged_by", sa.String(length=32), nullable=True),
        _time("resolved_at"),
        sa.Column("resolved_by", sa.String(length=32), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("source_key", name=op.f("uq_escalations_source_key")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalations_assignee"), ["assignee"], unique=False)
        batch_op.create_index("ix_escalations_status_next_climb", ["status", "next_climb_at"], unique=False)

    op.create_table(
        "escalation_notices",
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        _time("notified_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_notices_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("escalation_id", "user_id", name=op.f("pk_escalation_notices")),
    )

    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("from_user", sa.String(length=32), nullable=True),
        sa.Column("to_user", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("shift_name", sa.String(length=100), nullable=True),
        sa.Column("boundary_key", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("escalation_ids", sa.JSON(), nullable=False),
        sa.Column("draft_ids", sa.JSON(), nullable=False),
        _time("created_at", nullable=False),
        _time("acknowledged_at"),
        _time("reminded_at"),
        _time("reported_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
        sa.UniqueConstraint("boundary_key", name=op.f("uq_handoffs_boundary_key")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index("ix_handoffs_ack_created", ["acknowledged_at", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoffs_to_user"), ["to_user"], unique=False)

    op.create_table(
        "shift_early_ends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("occurrence", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        _time("ended_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_early_ends")),
        sa.UniqueConstraint("team", "occurrence", name="uq_shift_early_ends_team_occurrence"),
    )

    op.create_table(
        "shift_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        _time("started_at", nullable=False),
        _time("ends_at"),
        _time("ended_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_sessions")),
    )
    with op.batch_alter_table("shift_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_shift_sessions_team_started", ["team", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_shift_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "shift_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _time("created_at", nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_shift_notes_handoff_id_handoffs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_notes")),
    )
    with op.batch_alter_table("shift_notes", schema=None) as batch_op:
        batch_op.create_index("ix_shift_notes_team_handoff", ["team", "handoff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shift_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_shift_notes_team_handoff")
    op.drop_table("shift_notes")
    with op.batch_alter_table("shift_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_sessions_user_id"))
        batch_op.drop_index("ix_shift_sessions_team_started")
    op.drop_table("shift_sessions")
    op.drop_table("shift_early_ends")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoffs_to_user"))
        batch_op.drop_index("ix_handoffs_ack_created")
    op.drop_table("handoffs")
    op.drop_table("escalation_notices")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index("ix_escalations_status_next_climb")
        batch_op.drop_index(batch_op.f("ix_escalations_assignee"))
    op.drop_table("escalations")
