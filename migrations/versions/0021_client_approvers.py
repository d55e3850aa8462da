"""a planned draft's client approvers: a row per person instead of a comma-separated column, so the
waiting list finds a client's drafts through an index

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_client_approvers",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_calendar_client_approvers_draft_id_drafts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("draft_id", "user_id", name=op.f("pk_calendar_client_approvers")),
    )
    op.create_index("ix_calendar_client_approvers_user_draft", "calendar_client_approvers", ["user_id", "draft_id"])
    connection = op.get_bind()
    plans = connection.execute(
        sa.text("SELECT draft_id, client_approvers FROM calendar_plans WHERE client_approvers != ''")
    )
    rows = [
        {"draft_id": draft_id, "user_id": user, "position": position}
        for draft_id, people in plans
        for position, user in enumerate(dict.fromkeys(u for u in people.split(",") if u))
    ]
    if rows:
        connection.execute(
            sa.text(
                "INSERT INTO calendar_client_approvers (draft_id, user_id, position) "
                "VALUES (:draft_id, :user_id, :position)"
            ),
            rows,
        )
    with op.batch_alter_table("calendar_plans", schema=None) as batch_op:
        batch_op.drop_column("client_approvers")


def downgrade() -> None:
    with op.batch_alter_table("calendar_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_approvers", sa.String(length=500), nullable=False, server_default=""))
    connection = op.get_bind()
    people: dict[int, list[str]] = {}
    for draft_id, user in connection.execute(
        sa.text("SELECT draft_id, user_id FROM calendar_client_approvers ORDER BY draft_id, position")
    ):
        people.setdefault(draft_id, []).append(user)
    for draft_id, users in people.items():
        connection.execute(
            sa.text("UPDATE calendar_plans SET client_approvers = :people WHERE draft_id = :draft_id"),
            {"people": ",".join(users), "draft_id": draft_id},
        )
    op.drop_index("ix_calendar_client_approvers_user_draft", table_name="calendar_client_approvers")
    op.drop_table("calendar_client_approvers")
