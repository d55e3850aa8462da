"""Roles on the social team, kept in the store and seeded from the config."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.errors import BadInput, Conflict
from bot.models.core import RoleMember
from bot.settings import ROLES, Roles

ROLE_EXAMPLE = "/team add @maria content_manager"


def parse_role(word: str) -> str:
    role = word.strip().lower().replace("-", "_")
    if role not in ROLES:
        raise BadInput(f"`{word}` is not a role. Roles are: {', '.join(ROLES)}.", ROLE_EXAMPLE)
    return role


def members_by_role(session: Session) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    for role, user in session.execute(select(RoleMember.role, RoleMember.user_id).order_by(RoleMember.added_at)):
        result[role].append(user)
    return {role: result.get(role, []) for role in ROLES}


def holders(session: Session, role: str) -> list[str]:
    return list(
        session.scalars(select(RoleMember.user_id).where(RoleMember.role == role).order_by(RoleMember.added_at))
    )


def roles_of(session: Session, user: str) -> set[str]:
    return set(session.scalars(select(RoleMember.role).where(RoleMember.user_id == user)))


def has_role(session: Session, user: str, role: str) -> bool:
    return session.get(RoleMember, (role, user)) is not None


def add(session: Session, user: str, role: str, by: str | None, now: datetime) -> None:
    if has_role(session, user, role):
        raise Conflict(f"<@{user}> already is a {role}.")
    session.add(RoleMember(role=role, user_id=user, added_by=by, added_at=now))


def remove(session: Session, user: str, role: str) -> None:
    result = session.execute(delete(RoleMember).where(RoleMember.role == role, RoleMember.user_id == user))
    if not result.rowcount:
        raise Conflict(f"<@{user}> is not a {role}.")


def seed(session: Session, configured: Roles, now: datetime) -> int:
    """Add the config's members that the store lacks (never removes); returns how many were added."""
    added = 0
    for role in ROLES:
        for user in getattr(configured, role):
            if not has_role(session, user, role):
                session.add(RoleMember(role=role, user_id=user, added_by=None, added_at=now))
                added += 1
    session.flush()
    return added
