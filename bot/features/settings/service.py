"""Settings chosen in Slack: stored per key, laid over the config file, in force in every process.

The keys set in Slack are `channels`, `approval.chain` and `checklists.NAME` (its items and
cron). Role holders stay in the roles store (changed through the roles service) and are recorded
in the history as `roles.ROLE`. A key never set in Slack keeps the config file's value, so the file
seeds a new database and what was set in Slack wins afterwards."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.config import ROLES, Roles, TeamConfig
from bot.core.errors import InvalidFields
from bot.features.roles import service as roles
from bot.features.settings.models import Setting, SettingChange

log = logging.getLogger(__name__)

# How often a process looks whether the settings changed (one indexed max() per interval).
REFRESH_SECONDS = 5
# Set on a session that saved settings, so the LiveConfig of its process looks again once it commits.
SAVED_MARK = "teambot.settings_saved"
CHANNEL_KEYS = ("drafts", "escalations", "ideas", "checklists", "digest", "alerts")
REQUIRED_CHANNELS = ("drafts", "escalations", "ideas", "checklists", "digest")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


# -- reading -------------------------------------------------------------------------------------
def stored(session: Session) -> dict[str, Any]:
    return {row.key: row.value for row in session.scalars(select(Setting).order_by(Setting.key))}


def version(session: Session) -> int:
    """The settings' version: the latest change's id (0 before any)."""
    return int(session.scalar(select(func.max(SettingChange.id))) or 0)


def roles_set_in_slack(session: Session) -> set[str]:
    """Roles whose people were chosen in the settings: the config file no longer adds to them.
    (`/team` changes, recorded as `team.ROLE`, leave the file's merge at each start as it was.)"""
    keys = session.scalars(select(SettingChange.key).where(SettingChange.key.like("roles.%")).distinct())
    return {key.removeprefix("roles.") for key in keys}


def seed_roles(session: Session, configured: Roles, now: datetime) -> roles.Seeded:
    """At start-up: the config file's `[roles]` merged into the store (it only adds), except into
    the roles chosen in the settings, which keep their people whatever the file says."""
    return roles.seed(session, configured, now, keep=roles_set_in_slack(session))


def _merged(base: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(base)
    for key, value in settings.items():
        if key == "channels":
            data["channels"] = {**data.get("channels", {}), **value}
        elif key == "approval.chain":
            data["approval"] = {**data.get("approval", {}), "chain": value}
        elif key.startswith("checklists."):
            name = key.removeprefix("checklists.")
            data["checklists"] = [
                {**entry, **value} if entry.get("name") == name else entry for entry in data.get("checklists", [])
            ]
    return data


def _as_data(config: TeamConfig) -> dict[str, Any]:
    return config.model_dump(mode="python", exclude_none=True)


def overlay(base: TeamConfig, settings: Mapping[str, Any]) -> TeamConfig:
    """The config file's values with the settings laid over them, checked by the same schema. A key
    that no longer fits the file (a checklist renamed there, say) is left out, with a warning."""
    if not settings:
        return base
    data = _as_data(base)
    try:
        return TeamConfig.model_validate(_merged(data, settings))
    except ValidationError:
        pass
    config = base
    for key, value in settings.items():
        try:
            config = TeamConfig.model_validate(_merged(_as_data(config), {key: value}))
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            log.warning("the setting %s chosen in Slack no longer fits the config file: %s", key, reason)
    return config


class LiveConfig:
    """The configuration in force for one process: the config file overlaid with the stored
    settings, rebuilt when the settings' version changed, looked at most every REFRESH_SECONDS,
    and looked at again as soon as a change saved through this process's sessions is committed (so
    the process that saved it has it in force from its next request on)."""

    def __init__(self, session_factory: sessionmaker[Session], refresh_seconds: float = REFRESH_SECONDS):
        self._session_factory = session_factory
        self._interval = timedelta(seconds=refresh_seconds)
        self._lock = threading.Lock()
        self._base: TeamConfig | None = None
        self._config: TeamConfig | None = None
        self._version: int | None = None
        self._checked_at: datetime | None = None
        event.listen(session_factory, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(SAVED_MARK, False):
            with self._lock:
                self._checked_at = None

    def __call__(self, base: TeamConfig, now: datetime) -> TeamConfig:
        """The configuration in force at `now` for the config file `base`."""
        with self._lock:
            if base is not self._base:  # a new config file (a restart with another file, in tests)
                self._base, self._config, self._version, self._checked_at = base, base, None, None
            checked = self._checked_at
            if self._config is not None and checked is not None and timedelta(0) <= now - checked < self._interval:
                return self._config
            self._checked_at = now
            try:
                with self._session_factory() as session:
                    current = version(session)
                    if current != self._version:
                        self._config = overlay(base, stored(session))
                        self._version = current
            except SQLAlchemyError as exc:
                # The last configuration stays in force; the next look is after the interval. A
                # database that cannot be read is reported once by whatever uses it next (the
                # request or the job), so this fallback does not add a second line for one outage.
                log.debug("could not read the settings (%s); keeping the ones in force", exc.__class__.__name__)
            return self._config or base


# -- changing ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Submitted:
    """What a settings form sent: only the keys present are changed."""

    channels: dict[str, str | None] | None = None
    chain: list[str] | None = None
    checklists: dict[str, dict[str, Any]] | None = None  # name -> {"cron": ..., "items": [...]}
    roles: dict[str, list[str]] | None = None


@dataclass(frozen=True)
class Saved:
    changed: list[str]  # the keys that changed, in the order recorded


def parse_chain(text: str) -> list[str]:
    words = [w for w in re.split(r"[\s,>→]+", text.strip().lower()) if w]
    return [w.replace("-", "_") for w in words]


def parse_items(text: str) -> list[str]:
    return [line.strip().lstrip("-*•").strip() for line in text.splitlines() if line.strip().lstrip("-*•").strip()]


def _field_of(loc: tuple[Any, ...], data: dict[str, Any]) -> str | None:
    parts = list(loc)
    if len(parts) >= 2 and parts[0] == "channels":
        return f"channels.{parts[1]}"
    if len(parts) >= 2 and parts[:2] == ["approval", "chain"]:
        return "approval.chain"
    if len(parts) >= 3 and parts[0] == "checklists" and isinstance(parts[1], int):
        entries = data.get("checklists", [])
        if 0 <= parts[1] < len(entries) and parts[2] in ("cron", "items"):
            return f"checklists.{entries[parts[1]]['name']}.{parts[2]}"
    return None


def validate(base: TeamConfig, settings: Mapping[str, Any], fallback_field: str) -> TeamConfig:
    """The configuration these settings would put in force, or InvalidFields naming the field (by
    its setting path, like `channels.drafts` or `checklists.daily.cron`) and what is wrong."""
    data = _merged(_as_data(base), settings)
    try:
        return TeamConfig.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = _field_of(tuple(error["loc"]), data) or fallback_field
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "Choose one; this is needed."
            errors.setdefault(field, message[:150])
        raise InvalidFields(errors) from None


def save(session: Session, base: TeamConfig, submitted: Submitted, *, by: str, now: datetime) -> Saved:
    """Check and store a settings form. Nothing is changed unless all of it is valid."""
    current = stored(session)
    wanted = dict(current)
    errors: dict[str, str] = {}
    if submitted.channels is not None:
        for name in REQUIRED_CHANNELS:
            if not submitted.channels.get(name):
                errors[f"channels.{name}"] = f"Choose the {name} channel; teambot needs one."
        wanted["channels"] = {name: submitted.channels.get(name) for name in CHANNEL_KEYS}
    if submitted.chain is not None:
        unknown = [role for role in submitted.chain if role not in ROLES]
        if not submitted.chain:
            errors["approval.chain"] = "Name at least one role, like: content_manager, strategist"
        elif unknown:
            errors["approval.chain"] = f"{unknown[0]!r} is not a role. Roles are: {', '.join(ROLES)}."[:150]
        elif len(set(submitted.chain)) != len(submitted.chain):
            errors["approval.chain"] = "Name each role once."
        wanted["approval.chain"] = submitted.chain
    for name, entry in (submitted.checklists or {}).items():
        if base.checklist(name) is None:
            errors[f"checklists.{name}.items"] = f"There is no checklist {name!r}."
        if not entry.get("items"):
            errors[f"checklists.{name}.items"] = "Give at least one item, one per line."
        wanted[f"checklists.{name}"] = {"cron": entry.get("cron", ""), "items": entry.get("items", [])}
    holders = {role: roles.holders(session, role) for role in ROLES}
    for role, users in (submitted.roles or {}).items():
        if role not in ROLES:
            raise InvalidFields({f"roles.{role}": f"{role!r} is not a role."})
        bad = next((u for u in users if not _USER_ID.fullmatch(u)), None)
        if bad is not None:
            errors[f"roles.{role}"] = f"{bad!r} is not a Slack user."[:150]
        holders[role] = list(dict.fromkeys(users))
    chain = wanted["approval.chain"] if "approval.chain" in wanted else list(base.approval.chain)
    for role in chain:
        if role in ROLES and not holders[role]:
            field = f"roles.{role}" if role in (submitted.roles or {}) else "approval.chain"
            errors.setdefault(field, f"Nobody holds the role {role}, which approves drafts; name someone.")
    if errors:
        raise InvalidFields(errors)
    validate(base, wanted, fallback_field=next(iter(_form_fields(submitted)), "approval.chain"))

    changed: list[str] = []
    for key, value in wanted.items():
        old = current.get(key)
        if old == value:
            continue
        if key not in current and _file_value(base, key) == value:
            continue  # the same as the file says: nothing to record
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value, updated_by=by, updated_at=now))
        else:
            row.value, row.updated_by, row.updated_at = value, by, now
        previous = old if key in current else _file_value(base, key)
        session.add(SettingChange(key=key, old_value=previous, new_value=value, changed_by=by, changed_at=now))
        changed.append(key)
    for role, users in (submitted.roles or {}).items():
        before = roles.holders(session, role)
        if set(before) == set(users):
            continue
        for user in before:
            if user not in users:
                roles.remove(session, user, role)
        for user in dict.fromkeys(users):
            if user not in before:
                roles.add(session, user, role, by=by, now=now)
        _role_changed(session, role, before, by=by, now=now, key=f"roles.{role}")
        changed.append(f"roles.{role}")
    session.flush()
    if changed:
        session.info[SAVED_MARK] = True
    return Saved(changed)


def add_holder(session: Session, user: str, role: str, *, by: str, now: datetime) -> None:
    """`/team add`, recorded in the settings history (key `team.ROLE`)."""
    before = roles.holders(session, role)
    roles.add(session, user, role, by=by, now=now)
    _role_changed(session, role, before, by=by, now=now, key=f"team.{role}")


def remove_holder(session: Session, user: str, role: str, *, by: str, now: datetime) -> None:
    """`/team remove`, recorded in the settings history (key `team.ROLE`). A person the config
    file still lists is added back at the next start, as `[roles]` is merged at every start."""
    before = roles.holders(session, role)
    roles.remove(session, user, role)
    _role_changed(session, role, before, by=by, now=now, key=f"team.{role}")


def _role_changed(session: Session, role: str, before: list[str], *, by: str, now: datetime, key: str) -> None:
    after = roles.holders(session, role)
    session.add(SettingChange(key=key, old_value=before, new_value=after, changed_by=by, changed_at=now))
    session.flush()


def _form_fields(submitted: Submitted) -> list[str]:
    fields = [f"channels.{n}" for n in REQUIRED_CHANNELS] if submitted.channels is not None else []
    if submitted.chain is not None:
        fields.append("approval.chain")
    return fields


def _file_value(base: TeamConfig, key: str) -> Any:
    if key == "channels":
        return base.channels.model_dump(mode="json")
    if key == "approval.chain":
        return list(base.approval.chain)
    if key.startswith("checklists."):
        checklist = base.checklist(key.removeprefix("checklists."))
        return None if checklist is None else {"cron": checklist.cron, "items": list(checklist.items)}
    return None


# -- the configuration in force as TOML, and the export ------------------------------------------
def config_in_force(session: Session, base: TeamConfig) -> TeamConfig:
    """The file overlaid with the settings, with the role holders as the roles store has them."""
    config = overlay(base, stored(session))
    data = _as_data(config)
    data["roles"] = {role: roles.holders(session, role) for role in ROLES}
    return TeamConfig.model_validate(data)


def to_toml(config: TeamConfig) -> str:
    """The configuration as TOML that `teambot` reads back to the same configuration."""
    return tomli_w.dumps(_plain(_as_data(config)))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def export(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    from bot.core.export import iso, since_filter

    query = since_filter(select(SettingChange).order_by(SettingChange.id), SettingChange.changed_at, since)
    return [
        {
            "id": change.id,
            "key": change.key,
            "old": change.old_value,
            "new": change.new_value,
            "by": change.changed_by,
            "at": iso(change.changed_at),
        }
        for change in session.scalars(query)
    ]
