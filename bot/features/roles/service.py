"""Roles on the social team, kept in the store and seeded from the config."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from bot.core.config import ROLES, Roles
from bot.core.db import insert_unless_present
from bot.core.errors import BadInput, Conflict
from bot.features.roles.models import RoleMember

ROLE_EXAMPLE = "/team add @maria content_manager"


def parse_role(word: str) -> str:
    role = word.strip().lower().replace("-", "_")
    if role not in ROLES:
        raise BadInput(f"`{word}` is not a role. Roles are: {', '.join(ROLES)}.", ROLE_EXAMPLE)
    return role


_CACHE = "teambot.roles"


def members_by_role(session: Session) -> dict[str, list[str]]:
    """Every role's members, read once per session (a request or a job) and kept until a change."""
    cached = session.info.get(_CACHE)
    if cached is None:
        result: dict[str, list[str]] = defaultdict(list)
        rows = session.execute(
            select(RoleMember.role, RoleMember.user_id).order_by(RoleMember.added_at, RoleMember.user_id)
        )
        for role, user in rows:
            result[role].append(user)
        cached = session.info[_CACHE] = {role: result.get(role, []) for role in ROLES}
    return cached


@event.listens_for(Session, "after_rollback")
def _changed(session: Session) -> None:
    session.info.pop(_CACHE, None)


def holders(session: Session, role: str) -> list[str]:
    return list(members_by_role(session).get(role, []))


def roles_of(session: Session, user: str) -> set[str]:
    return {role for role, users in members_by_role(session).items() if user in users}


def has_role(session: Session, user: str, role: str) -> bool:
    return user in members_by_role(session).get(role, [])


def add(session: Session, user: str, role: str, by: str | None, now: datetime) -> None:
    if has_role(session, user, role):
        raise Conflict(f"<@{user}> already is a {role}.")
    session.add(RoleMember(role=role, user_id=user, added_by=by, added_at=now))
    session.flush()
    _changed(session)


def remove(session: Session, user: str, role: str) -> None:
    result = session.execute(delete(RoleMember).where(RoleMember.role == role, RoleMember.user_id == user))
    if not result.rowcount:
        raise Conflict(
            f"<@{user}> is not a {role}, so there is nothing to remove; `/team` shows who holds which role.",
            f"/team remove @maria {role}",
        )
    _changed(session)


@dataclass(frozen=True)
class Seeded:
    """What starting with the config file's `[roles]` changed in the store."""

    added: int
    kept: list[str]  # roles left as they are although the file lists other people


def seed(session: Session, configured: Roles, now: datetime, *, keep: Collection[str] = ()) -> Seeded:
    """Add the config's members that the store lacks (never removes), except to the roles in
    `keep` (those whose people were chosen in the settings), which stay as they are."""
    added = 0
    kept = []
    for role in ROLES:
        wanted = list(dict.fromkeys(getattr(configured, role)))  # a name listed twice is added once
        if role in keep:
            if not set(wanted) <= set(holders(session, role)):
                kept.append(role)
            continue
        for user in wanted:
            # One statement that yields to a row already there: replicas starting together on one
            # database seed the same members at the same moment.
            added += insert_unless_present(session, RoleMember, role=role, user_id=user, added_by=None, added_at=now)
    _changed(session)
    return Seeded(added, kept)


def export(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    from bot.core.export import iso, since_filter

    query = since_filter(select(RoleMember).order_by(RoleMember.role, RoleMember.user_id), RoleMember.added_at, since)
    return [
        {"role": m.role, "user": m.user_id, "added_by": m.added_by, "added_at": iso(m.added_at)}
        for m in session.scalars(query)
    ]
