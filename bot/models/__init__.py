"""All tables. Each feature keeps its models in its own module; importing this package registers
them all on `Base.metadata` (Alembic and the tests rely on that)."""

from bot.models import approvals, core, escalations, ideas_checklists  # noqa: F401
from bot.models.base import Base

__all__ = ["Base"]
