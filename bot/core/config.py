"""The team's configuration file (TOML), checked at start-up: every key, its type and its default."""

from __future__ import annotations

import logging
import re
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import re2
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.cron import cron_trigger, either_day
from bot.core.errors import ConfigError

Role = Literal["strategist", "content_manager", "community_manager", "analyst", "coordinator"]


ROLES: tuple[str, ...] = get_args(Role)


SEVERITIES: tuple[str, ...] = ("low", "normal", "high", "crisis")


EscalationLevel = Literal["on_shift", "lead", "strategist"]


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


WEEKDAYS: tuple[str, ...] = get_args(Weekday)


# Slack's ids are short (U0123ABCD); the store keeps 32 characters of one.
def _check_user_id(value: str) -> str:
    if not re.fullmatch(r"[UW][A-Z0-9]{2,31}", value):
        raise ValueError(f"{value!r} is not a Slack user id (like U0123ABCD)")
    return value


def _check_channel_id(value: str) -> str:
    if not re.fullmatch(r"[CGD][A-Z0-9]{2,31}", value):
        raise ValueError(f"{value!r} is not a Slack channel id (like C0123ABCD)")
    return value


def _check_usergroup_id(value: str) -> str:
    if not re.fullmatch(r"S[A-Z0-9]{2,31}", value):
        raise ValueError(f"{value!r} is not a Slack user group id (like S0123ABCD)")
    return value


def _check_cron(value: str) -> str:
    try:
        trigger = cron_trigger(value, UTC)
    except ValueError as exc:
        raise ValueError(f"bad cron expression {value!r}: {exc}") from None
    # `0 9 30 2 *` (30 February) parses but never runs; anything real runs within 8 years (29
    # February can be that far apart, around 2100).
    first = trigger.get_next_fire_time(None, datetime.now(UTC))
    if first is None or first > datetime.now(UTC) + timedelta(days=8 * 366):
        raise ValueError(f"cron expression {value!r} never runs")
    if either_day(value):
        # Some cron dialects (and earlier teambot) need both days to match: say which rule applies.
        logging.getLogger("teambot").warning(
            "cron %r runs when either its day of the month or its day of the week matches, as cron does", value
        )
    return value


def _check_emoji(value: str) -> str:
    value = value.strip(":")
    if not re.fullmatch(r"[a-z0-9_+\-']+", value):
        raise ValueError(f"{value!r} is not an emoji name (like white_check_mark)")
    return value


UserId = Annotated[str, AfterValidator(_check_user_id)]


ChannelId = Annotated[str, AfterValidator(_check_channel_id)]


UsergroupId = Annotated[str, AfterValidator(_check_usergroup_id)]


Cron = Annotated[str, AfterValidator(_check_cron)]


Emoji = Annotated[str, AfterValidator(_check_emoji)]


# The longest duration a key takes: a year. Anything longer (or `inf`) is no setting a team means,
# and the clock cannot count it: adding it to a time would fail in every job that used it.
MAX_MINUTES = 366 * 24 * 60

Minutes = Annotated[float, Field(gt=0, le=MAX_MINUTES)]


MinutesOrZero = Annotated[float, Field(ge=0, le=MAX_MINUTES)]


class _Section(BaseModel):
    # Strict: TOML has numbers, booleans, dates and times of its own, so a value of another type
    # (`top = "5"`, `remind_after_minutes = true`, `start = 900`) is a mistake to name, not a value
    # to guess from. Times of day are written as strings ("09:00") and read below.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Channels(_Section):
    drafts: ChannelId
    escalations: ChannelId
    ideas: ChannelId
    checklists: ChannelId
    digest: ChannelId
    # Where listening tools post their alerts; every top-level message there may open an escalation.
    alerts: ChannelId | None = None


class Roles(_Section):
    strategist: list[UserId] = []
    content_manager: list[UserId] = []
    community_manager: list[UserId] = []
    analyst: list[UserId] = []
    coordinator: list[UserId] = []


class Approval(_Section):
    chain: list[Role] = Field(default=["content_manager", "strategist"], min_length=1)
    approve_emoji: Emoji = "white_check_mark"
    reject_emoji: Emoji = "x"
    changes_emoji: Emoji = "memo"
    remind_after_minutes: Minutes = 240


class AckTimeouts(_Section):
    crisis: Minutes = 5
    high: Minutes = 15
    normal: Minutes = 60
    low: Minutes = 240


class EscalationPolicy(_Section):
    emoji: Emoji = "rotating_light"
    default_team: str = "support"
    levels: list[EscalationLevel] = Field(default=["on_shift", "lead", "strategist"], min_length=1)
    ack_timeout_minutes: AckTimeouts = AckTimeouts()


class Team(_Section):
    lead: UserId | None = None
    members: list[UserId] = []
    channel: ChannelId | None = None
    # A Slack user group (e.g. @support-on-shift) kept to whoever is on the team's shift.
    usergroup: UsergroupId | None = None


class Shift(_Section):
    team: str
    name: str
    days: list[Weekday] = Field(min_length=1)
    start: time
    end: time
    members: list[UserId] = Field(min_length=1)
    rotation_start: date = date(2024, 1, 1)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse_clock(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                if not re.fullmatch(r"\d{1,2}:\d{2}", value):
                    raise ValueError
                return time.fromisoformat(value.zfill(5))  # "9:00" as "09:00"
            except ValueError:
                raise ValueError(f"{value!r} is not a time of day like 09:00") from None
        return value

    @field_validator("rotation_start", mode="before")
    @classmethod
    def _parse_day(cls, value: object) -> object:
        # TOML writes a date bare (2024-01-01); the same date quoted is taken too.
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a date like 2024-01-01") from None
        return value


class HandoffSettings(_Section):
    ack_remind_after_minutes: Minutes = 30


class ShiftsReminder(_Section):
    """Each person is told by DM this many days before a shift of theirs starts; 0 turns it off."""

    days_before: int = Field(default=2, ge=0, le=14)


class Scheduler(_Section):
    misfire_grace_minutes: Minutes = 60


class Ideas(_Section):
    emoji: Emoji = "bulb"
    vote_emoji: Emoji = "+1"


class Checklist(_Section):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    cron: Cron
    channel: ChannelId | None = None
    nudge_after_minutes: Minutes | None = None
    items: list[Annotated[str, Field(min_length=1, max_length=75)]] = Field(min_length=1, max_length=40)


DEFAULT_CHECKLISTS = [
    Checklist(
        name="daily",
        cron="0 9 * * mon-fri",
        nudge_after_minutes=480,
        items=[
            "Check for a brewing crisis (complaints, negative spikes)",
            "Compare mentions with a typical day: any spike?",
            "Reply to comments, mentions and direct messages",
            "Check today's KPIs (reach, engagement, response time)",
        ],
    ),
    Checklist(
        name="weekly",
        cron="0 10 * * mon",
        nudge_after_minutes=1440,
        items=[
            "Find and thank brand advocates",
            "Review new followers and customer activations",
            "Pick the week's top content and share it with the team",
        ],
    ),
    Checklist(
        name="monthly",
        cron="0 10 1 * *",
        nudge_after_minutes=2880,
        items=[
            "Review our competitive position",
            "Track campaign performance over time",
            "Measure share of voice against competitors",
        ],
    ),
    Checklist(
        name="annual",
        cron="0 10 2 1 *",
        nudge_after_minutes=10080,
        items=[
            "Run the yearly market review",
            "Review the channel mix: which networks to grow or drop",
            "Set next year's social strategy and goals",
        ],
    ),
]


class Digest(_Section):
    cron: Cron = "0 9 1 * *"
    leaders: list[UserId] = []
    top: int = Field(default=5, ge=1, le=20)
    samples: int = Field(default=2, ge=0, le=5)


class Kpis(_Section):
    """The team's weekly targets ("what does a good week look like"); every key optional."""

    posts: int | None = Field(default=None, ge=0)
    impressions: int | None = Field(default=None, ge=0)
    engagement_rate: float | None = Field(default=None, ge=0, le=1)
    followers_gained: int | None = None
    mentions: int | None = Field(default=None, ge=0)


class Report(_Section):
    """The weekly KPI report: last week (Monday to Sunday, team time) against the week before."""

    cron: Cron = "0 9 * * mon"
    channel: ChannelId | None = None  # default: channels.digest
    # A post stands out when its engagement rate is at least this many times, or at most one this
    # many-th of, its account's median over the 8 weeks before.
    standout_factor: float = Field(default=2.0, gt=1)


def _check_alert_pattern(value: str) -> str:
    # RE2 matches in time linear in the text, so no alert text can make a rule take unbounded time
    # (Python's `re` can backtrack for ever on patterns like `(a+)+$`). RE2 refuses what it cannot
    # guarantee (look-arounds, back-references): that is one clear line at start-up.
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(value, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"{value!r} is not a regular expression teambot can use ({reason})") from None
    return value


AlertPattern = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_check_alert_pattern)]


class AlertRule(_Section):
    """`match` is searched in an alert's text and its attachments' text; the first rule that
    matches decides. `severity = "ignore"` drops what matches."""

    match: AlertPattern
    team: str | None = None  # default: escalation.default_team
    severity: Literal["low", "normal", "high", "crisis", "ignore"] = "normal"


class Guide(_Section):
    """The team's style guide: a Markdown file of `## Topic` sections, read once at start-up."""

    file: Annotated[Path | None, Field(strict=False)] = None  # a path is written as a string
    _text: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _read(self) -> Guide:
        if self.file is not None:
            try:
                self._text = self.file.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise ValueError(f"{self.file} does not exist (a Markdown file of `## Topic` sections)") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"cannot read {self.file}: {exc.__class__.__name__}") from None
        return self

    @property
    def text(self) -> str:
        return self._text


class Meeting(_Section):
    """The weekly planning meeting: short updates from each person, then brainstorming."""

    cron: Cron = "0 10 * * tue"  # when it starts, team time
    ask_before_minutes: Minutes = 120  # when the members are asked for their update
    roles: list[Role] = Field(
        default=["strategist", "content_manager", "community_manager", "analyst", "coordinator"], min_length=1
    )
    channel: ChannelId | None = None  # where the agenda goes; default channels.drafts


Network = Literal["x", "facebook", "instagram", "linkedin", "tiktok", "youtube", "threads", "pinterest", "other"]


# Words `/calendar` reads as sub-commands or dates: an account may not be called like one.
CALENDAR_WORDS = frozenset(
    {"help", "next", "plan", "published", "note", "notes", "delete", "today", "tomorrow", "blackout", *WEEKDAYS}
)

# The chain role held by a brand's `client_approvers` (only in an account's chain).
CLIENT_ROLE = "client"


class Account(_Section):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-.]*$", max_length=40)
    network: Network = "other"
    brand: str = ""
    publishers: list[UserId] = []
    chain: list[Role | Literal["client"]] = []
    min_gap_minutes: MinutesOrZero = 120


class Brand(_Section):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-.]*$", max_length=40)
    drafts_channel: ChannelId | None = None
    client_approvers: list[UserId] = []


class Calendar(_Section):
    week_cron: Cron = "0 9 * * mon"
    approve_before_minutes: MinutesOrZero = 60
    remind_before_minutes: list[Minutes] = [1440, 120]
    publish_grace_minutes: Minutes = 30


class CrisisSettings(_Section):
    # While a crisis lasts, posts planned within the next this many hours are held.
    hold_hours: Annotated[float, Field(gt=0, le=24 * 366)] = 72
    # The crisis owner is asked for a stakeholder update this often.
    update_every_minutes: Annotated[float, Field(ge=5, le=24 * 60)] = 30


class TeamConfig(_Section):
    timezone: str = "UTC"
    channels: Channels
    roles: Roles = Roles()
    approval: Approval = Approval()
    escalation: EscalationPolicy = EscalationPolicy()
    teams: dict[str, Team] = {}
    shifts: list[Shift] = []
    handoff: HandoffSettings = HandoffSettings()
    shifts_reminder: ShiftsReminder = ShiftsReminder()
    scheduler: Scheduler = Scheduler()
    ideas: Ideas = Ideas()
    checklists: list[Checklist] = DEFAULT_CHECKLISTS
    digest: Digest = Digest()
    kpis: Kpis = Kpis()
    report: Report = Report()
    alert_rules: list[AlertRule] = []
    guide: Guide = Guide()
    meeting: Meeting = Meeting()
    accounts: list[Account] = []
    brands: list[Brand] = []
    calendar: Calendar = Calendar()
    crisis: CrisisSettings = CrisisSettings()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("teams")
    @classmethod
    def _team_names(cls, teams: dict[str, Team]) -> dict[str, Team]:
        for name in teams:
            if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]*", name):
                raise ValueError(f"team name {name!r} must be lower-case letters, digits, - or _")
            if name in SEVERITIES or name in ("list", "ack", "resolve", "reassign", "help"):
                raise ValueError(f"team name {name!r} is reserved")
        return teams

    @model_validator(mode="after")
    def _cross_references(self) -> TeamConfig:
        teams = self.team_names()
        if self.escalation.default_team not in teams:
            raise ValueError(f"escalation.default_team {self.escalation.default_team!r} is not a team")
        shift_names: set[tuple[str, str]] = set()
        for index, shift in enumerate(self.shifts):
            if shift.team not in teams:
                raise ValueError(f"shifts[{index}].team {shift.team!r} is not a team")
            # A shift is known by its team and name (handoffs, swaps and reminders are keyed by them).
            if (shift.team, shift.name) in shift_names:
                raise ValueError(f"shifts[{index}].name {shift.name!r}: two shifts of team {shift.team!r} share a name")
            shift_names.add((shift.team, shift.name))
        for index, rule in enumerate(self.alert_rules):
            if rule.team is not None and rule.team not in teams:
                raise ValueError(f"alert_rules[{index}].team {rule.team!r} is not a team")
        names = [c.name for c in self.checklists]
        if len(names) != len(set(names)):
            raise ValueError("checklists: two checklists share a name")
        self._check_accounts()
        return self

    def _check_accounts(self) -> None:
        brands = [b.name for b in self.brands]
        if len(brands) != len(set(brands)):
            raise ValueError("brands: two brands share a name")
        seen: set[str] = set()
        for index, account in enumerate(self.accounts):
            where = f"accounts[{index}]"
            if account.name in seen:
                raise ValueError(f"{where}.name {account.name!r}: two accounts share a name")
            if account.name in CALENDAR_WORDS:
                raise ValueError(f"{where}.name {account.name!r} is reserved (a /calendar word)")
            seen.add(account.name)
            if account.brand and account.brand not in brands:
                raise ValueError(f"{where}.brand {account.brand!r} is not a brand (add it under [[brands]])")
            if CLIENT_ROLE in account.chain and not account.brand:
                raise ValueError(f"{where}.chain: the role 'client' needs the account to have a brand")
            if CLIENT_ROLE in account.chain and not self.brand(account.brand).client_approvers:
                raise ValueError(f"{where}.chain: brand {account.brand!r} has no client_approvers for 'client'")
        channels = [b.drafts_channel for b in self.brands if b.drafts_channel]
        if len(channels) != len(set(channels)) or self.channels.drafts in channels:
            raise ValueError("brands.drafts_channel: each brand needs its own drafts channel")

    def account(self, name: str) -> Account | None:
        return next((a for a in self.accounts if a.name == name), None)

    def brand(self, name: str) -> Brand:
        return next((b for b in self.brands if b.name == name), Brand(name=name or "own"))

    def brand_of_channel(self, channel: str | None) -> str | None:
        """The brand whose drafts channel this is ("" for the team's own drafts channel; None for
        any other channel)."""
        if channel == self.channels.drafts:
            return ""
        return next((b.name for b in self.brands if b.drafts_channel and b.drafts_channel == channel), None)

    def is_drafts_channel(self, channel: str | None) -> bool:
        return self.brand_of_channel(channel) is not None

    def team_names(self) -> list[str]:
        """Configured teams; the default escalation team exists even when no [teams] table names it."""
        names = list(self.teams)
        if not names:
            names = [self.escalation.default_team]
        return names

    def team(self, name: str) -> Team:
        return self.teams.get(name, Team())

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def checklist(self, name: str) -> Checklist | None:
        return next((c for c in self.checklists if c.name == name), None)


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Budapest)") from None
    return value


def _describe(error: ValidationError, prefix: str, raw: dict[str, Any]) -> str:
    first = error.errors()[0]
    location = ".".join(_entry_names(raw, [part for part in first["loc"] if part != "__root__"]))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "missing"
    where = f"{prefix}: {location}" if location else prefix
    return f"{where}: {message}"


def _entry_names(raw: dict[str, Any], loc: list[Any]) -> list[str]:
    """The error's location, with a checklist or a shift named as the operator wrote it
    (`checklists.daily.cron`, `shifts.support.weekday.start`) instead of by its position."""
    parts = [str(part) for part in loc]
    if len(loc) >= 2 and loc[0] in ("checklists", "shifts") and isinstance(loc[1], int):
        entries = raw.get(loc[0])
        entry = entries[loc[1]] if isinstance(entries, list) and 0 <= loc[1] < len(entries) else None
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"]:
            name = entry["name"]
            if loc[0] == "shifts" and isinstance(entry.get("team"), str) and entry["team"]:
                name = f"{entry['team']}.{name}"
            parts[1] = name
    return parts


def load_config(path: Path, timezone_override: str | None = None) -> TeamConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"TEAMBOT_CONFIG: {path} does not exist (copy config/teambot.toml and edit it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"TEAMBOT_CONFIG: cannot read {path}: {exc.__class__.__name__}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if timezone_override:
        raw["timezone"] = timezone_override
    try:
        return TeamConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, str(path), raw)) from None


# The people of the shipped example (config/teambot.toml): placeholders, not anyone's real id.
EXAMPLE_PLACEHOLDER_USERS = frozenset(
    {"U0STRAT", "U0CONTENT", "U0COMMUNITY", "U0LEAD", "U0ANNA", "U0BEN", "U0PRLEAD", "U0PAT", "U0LEGAL", "U0CEO"}
)


def slack_ids(config: TeamConfig) -> list[tuple[str, str, str]]:
    """Every Slack id the config names, as (config key, "channel" or "user", id), in file order."""
    found: list[tuple[str, str, str]] = [
        (f"channels.{name}", "channel", channel)
        for name, channel in config.channels.model_dump().items()
        if isinstance(channel, str)  # optional channels left out are None
    ]
    found += [(f"roles.{role}", "user", user) for role in ROLES for user in getattr(config.roles, role)]
    for name, team in config.teams.items():
        if team.lead:
            found.append((f"teams.{name}.lead", "user", team.lead))
        found += [(f"teams.{name}.members", "user", user) for user in team.members]
        if team.channel:
            found.append((f"teams.{name}.channel", "channel", team.channel))
    for shift in config.shifts:
        found += [(f"shifts.{shift.team}.{shift.name}.members", "user", user) for user in shift.members]
    found += [
        (f"checklists.{checklist.name}.channel", "channel", checklist.channel)
        for checklist in config.checklists
        if checklist.channel
    ]
    found += [("digest.leaders", "user", user) for user in config.digest.leaders]
    return found


def keys_naming(config: TeamConfig, slack_id: str) -> list[str]:
    """The config keys that name this channel or person (none for an id the config does not hold)."""
    return list(dict.fromkeys(key for key, _kind, named in slack_ids(config) if named == slack_id))
