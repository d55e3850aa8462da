"""What a scheduled job gets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.core.config import TeamConfig


@dataclass(frozen=True)
class JobContext:
    """What a scheduled job gets: it opens its own session(s) from `session_factory`."""

    config: TeamConfig
    session_factory: sessionmaker[Session]
    now: datetime


Job = Callable[[JobContext], None]
