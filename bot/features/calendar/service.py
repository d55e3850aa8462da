"""The publishing calendar: plans (which accounts, when), collisions, publications, notes and the
week's view. Times people type are the team's wall clock; everything is stored in UTC.

Functions take the session, the config and `now`; changes to a draft lock its row first, so two
people acting at once on PostgreSQL are applied one after the other."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from bot.core import dates
from bot.core.calendar import to_instant
from bot.core.config import CLIENT_ROLE, Account, TeamConfig
from bot.core.db import insert_unless_present
from bot.core.errors import BadInput, Conflict, NotAllowed, NotFound
from bot.core.export import iso, since_filter
from bot.core.text import names_list, truncate
from bot.features.approvals import service as approvals
from bot.features.approvals.extensions import HeldPerDraft
from bot.features.approvals.models import Draft, DraftEvent
from bot.features.calendar.models import (
    CalendarNote,
    ClientApprover,
    Plan,
    PlanAccount,
    Publication,
    TimerFired,
    WeekPosted,
)
from bot.features.roles import service as roles
from bot.features.shifts import service as shifts

PLAN_EXAMPLE = "/calendar plan #12 instagram,x 2026-12-10 16:30"
PUBLISHED_EXAMPLE = "/calendar published #12 instagram https://instagram.com/p/abc"
NOTE_EXAMPLE = "/calendar note 2026-12-24..2026-12-26 blackout Christmas: no posts"
DATE_EXAMPLE = dates.DATE_EXAMPLE
TIME_EXAMPLE = "16:30"
SAME_LINK_WINDOW = timedelta(days=7)
# Drafts in these states never collide and never show as planned work.
INACTIVE = ("withdrawn", "rejected", "expired")
# Not finally approved yet, and still on their way to the slot: their approvers are reminded before
# it and they expire at the approval deadline. Changes requested is a step back, not a decision
# (the author's edit sends the draft through approval again). Rejected, withdrawn and published
# drafts are settled, an expired one is already, and one on hold waits for the crisis to end
# (crisis mode: held posts get no slot reminders; they come back pending at the final step).
AWAITING_APPROVAL = ("pending", "changes_requested")
MAY_PLAN = ("content_manager", "strategist")
MAY_MARK = ("community_manager", "strategist")
MAY_NOTE = ("content_manager", "strategist", "coordinator")
SUMMARY_WORDS = 12
# The longest note (in days after its first): a note touching a day starts at most this long
# before it, which bounds the notes read for a week or a slot by date, not by the calendar's age.
LONGEST_NOTE_DAYS = 366

_PREFIX = re.compile(r"^\s*\[([^\[\]\n]{1,300})\]")
_TIME_LIKE = re.compile(r"^\d{1,2}:\d{1,2}$")
_URL = re.compile(r"https?://[^\s<>|]+")


# -- reading what people type --------------------------------------------------------------------
def parse_date(word: str, today: date, *, example: str = PLAN_EXAMPLE) -> date:
    """`YYYY-MM-DD`, `today`, `tomorrow`, or a weekday (the next such day after today)."""
    return dates.parse_date(word, today, example=example)


def parse_time(word: str, *, example: str = PLAN_EXAMPLE) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", word)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise BadInput(f"`{word}` is not a time of day: write HH:MM on the team's clock, like {TIME_EXAMPLE}.", example)
    return time(int(match.group(1)), int(match.group(2)))


def slot_of(config: TeamConfig, day: date, at: time) -> datetime:
    """A wall-clock day and time to its UTC instant (a time skipped by DST is right after the gap)."""
    return to_instant(datetime.combine(day, at), config.tz)


def today_of(config: TeamConfig, now: datetime) -> date:
    return now.astimezone(config.tz).date()


@dataclass
class Prefix:
    """What the start of a draft's text plans: `[instagram, x] fri 16:30 …`."""

    accounts: list[str]
    day: date | None
    at: time | None
    rest: str


def parse_prefix(text: str, today: date) -> Prefix | None:
    """The plan written at the start of a draft, None if it has none. A date or a time that is
    there but wrong is a BadInput (the draft stays unplanned)."""
    match = _PREFIX.match(text)
    if not match:
        return None
    names = [n.strip().lower() for n in match.group(1).split(",")]
    if not all(names) or not all(re.fullmatch(r"[a-z0-9][a-z0-9_\-.]*", n) for n in names):
        return None  # `[draft]`, `[ ]`, `[FYI: …]`: ordinary text, not a plan
    rest = text[match.end() :].strip()
    words = rest.split(None, 2)
    day = at = None
    first = words[0] if words else ""
    if dates.looks_like_date(first):
        day = parse_date(first, today, example="[instagram] 2026-12-10 16:30 Winter is here…")
        second = words[1] if len(words) > 1 else ""
        if not _TIME_LIKE.match(second):
            raise BadInput(
                f"The plan names a day ({first}) but no time: add one as HH:MM.",
                "[instagram] 2026-12-10 16:30 Winter is here…",
            )
        at = parse_time(second, example="[instagram] 2026-12-10 16:30 Winter is here…")
        rest = words[2] if len(words) > 2 else ""
    elif _TIME_LIKE.match(first):
        raise BadInput("The plan has a time but no day: write the day first.", "[instagram] fri 16:30 Winter is here…")
    return Prefix(names, day, at, rest)


def post_text(text: str, today: date) -> str:
    """A planned draft's text as the post goes out: without the plan written at its start."""
    try:
        prefix = parse_prefix(text, today)
    except BadInput:
        return text  # a plan it could not read: the draft was planned otherwise, its text is as written
    return text if prefix is None else prefix.rest


def resolve_accounts(config: TeamConfig, names: list[str], channel_brand: str | None, example: str) -> list[Account]:
    """Configured accounts by name (each once, in the order written). In a brand's drafts channel
    only that brand's accounts; one plan never mixes brands (their approvals differ)."""
    found: list[Account] = []
    for name in dict.fromkeys(n.strip().lower() for n in names if n.strip()):
        account = config.account(name)
        if account is None or (channel_brand and account.brand != channel_brand):
            allowed = [a.name for a in config.accounts if not channel_brand or a.brand == channel_brand]
            known = names_list(allowed) if allowed else "none yet (add [[accounts]] to the config)"
            raise BadInput(f"`{name}` is not an account here. Accounts: {known}.", example)
        found.append(account)
    if not found:
        raise BadInput("Name at least one account.", example)
    if len({a.brand for a in found}) > 1:
        raise BadInput("One post cannot go to accounts of different brands: plan them as separate drafts.", example)
    return found


def chain_for(config: TeamConfig, accounts: list[Account]) -> list[str]:
    """The approval chain of a post on these accounts: every account's chain (default: the team's),
    each role once, in the order they first appear."""
    roles_in_order: list[str] = []
    for account in accounts:
        for role in account.chain or config.approval.chain:
            if role not in roles_in_order:
                roles_in_order.append(role)
    return roles_in_order or list(config.approval.chain)


def links_in(text: str) -> list[str]:
    return list(dict.fromkeys(url.rstrip(".,)") for url in _URL.findall(text)))


def summary_of(text: str) -> str:
    words = text.split()
    short = " ".join(words[:SUMMARY_WORDS])
    return truncate(short + (" …" if len(words) > SUMMARY_WORDS else ""), 200)


# -- planning ------------------------------------------------------------------------------------
@dataclass
class Collision:
    kind: str  # "gap" | "link" | "blackout"
    account: str | None
    other_draft: int | None
    other_slot: datetime | None
    note: str | None = None


@dataclass
class PlanOutcome:
    draft: Draft
    plan: Plan
    by: str
    replanned: bool
    collisions: list[Collision] = field(default_factory=list)
    chain_restarted: bool = False
    revived: bool = False
    next_approvers: list[str] = field(default_factory=list)
    via: str = "command"  # how the person planned it (the history's `via`)


def plan_of(session: Session, draft_id: int) -> Plan | None:
    return session.get(Plan, draft_id)


def check_may_plan(session: Session, draft: Draft, user: str) -> None:
    if user != draft.author and not any(roles.has_role(session, user, role) for role in MAY_PLAN):
        raise NotAllowed(f"Only the author of draft #{draft.id}, content managers and strategists may plan it.")
    if draft.status in ("withdrawn", "published"):
        raise Conflict(f"Draft #{draft.id} is {draft.status}; it cannot be planned any more.")


def plan(
    session: Session,
    config: TeamConfig,
    draft: Draft,
    *,
    accounts: list[Account],
    slot: datetime | None,
    by: str,
    now: datetime,
    text: str | None = None,
    via: str = "command",
) -> PlanOutcome:
    """Put the (locked) draft on the calendar, or move it. Re-planning keeps approvals unless the
    accounts' chain differs (then approval restarts, as after an edit); re-planning an expired
    draft makes it pending again at the step it had reached. `via` is how the person planned it
    (the history's `via`: `command`, `button` for the Plan modal, `edit` for a changed draft)."""
    check_may_plan(session, draft, by)
    if slot is not None and slot <= now:
        raise BadInput("That slot is in the past: pick a later day or time.", PLAN_EXAMPLE)
    names = [a.name for a in accounts]
    brand = accounts[0].brand
    existing = plan_of(session, draft.id)
    body = text if text is not None else draft.text
    prefix = parse_prefix(body, today_of(config, now)) if text is None else None
    if prefix is not None:
        body = prefix.rest
    if existing is None:
        existing = Plan(draft_id=draft.id, accounts="", planned_by=by, planned_at=now)
        session.add(existing)
        replanned = False
    else:
        replanned = True
    existing.accounts = ",".join(names)
    existing.slot = slot
    existing.brand = brand
    _keep_client_approvers(session, draft.id, config.brand(brand).client_approvers if brand else [])
    existing.summary = summary_of(body)
    existing.links = "\n".join(links_in(body))
    existing.planned_by, existing.planned_at = by, now
    session.execute(delete(PlanAccount).where(PlanAccount.draft_id == draft.id))
    session.add_all(PlanAccount(draft_id=draft.id, account=name, slot=slot) for name in names)
    outcome = PlanOutcome(draft, existing, by, replanned, via=via)
    chain = chain_for(config, accounts)
    if chain != draft.chain_roles():
        outcome.chain_restarted = _restart_with_chain(session, draft, chain, by, now, via)
    if draft.status == "expired":
        draft.status, draft.decided_at, draft.step_started_at = "pending", None, now
        session.add(DraftEvent(draft=draft, action="revived", by=by, at=now, via=via, step=draft.current_step + 1))
        outcome.revived = True
    draft.updated_at = now
    session.add(
        DraftEvent(
            draft=draft,
            action="planned",
            by=by,
            at=now,
            via=via,
            step=None,
            note=f"{', '.join(names)} {iso(slot) or '(no slot yet)'}",
        )
    )
    session.flush()
    if slot is not None:
        outcome.collisions = collisions(session, config, draft.id, names, slot, existing.links.split("\n"))
    outcome.next_approvers = approvals.eligible(session, draft)
    return outcome


def retext(session: Session, draft: Draft, body: str) -> None:
    """The draft's text was edited and its plan stays: the plan's first words and links (what the
    week's view, the collision check and the iCalendar file show of it) follow the new text."""
    existing = plan_of(session, draft.id)
    if existing is not None:
        existing.summary = summary_of(body)
        existing.links = "\n".join(links_in(body))


def _restart_with_chain(session: Session, draft: Draft, chain: list[str], by: str, now: datetime, via: str) -> bool:
    """The draft's accounts need another approval chain: approval starts again from step 1."""
    had_progress = any(s.active for s in draft.steps) or draft.status not in ("pending", "expired")
    for step in draft.steps:
        step.active = False
    draft.chain = ",".join(chain)
    draft.current_step, draft.current_role, draft.step_started_at = 0, chain[0], now
    if draft.status in ("approved", "rejected", "changes_requested"):
        draft.status, draft.decided_at = "pending", None
    if had_progress:
        session.add(
            DraftEvent(
                draft=draft,
                action="reset",
                by=by,
                at=now,
                via=via,
                step=1,
                note="planned on accounts with another approval chain",
            )
        )
    return had_progress


def _by_key(column: Any, row_of: Any) -> Any:
    """`column` of the draft (or plan) of each row of `row_of`, looked up by primary key. Used
    instead of a join where PostgreSQL would otherwise hash the whole table."""
    key = Draft.id if column.class_ is Draft else Plan.draft_id
    return select(column).where(key == row_of.draft_id).scalar_subquery()


def collisions(
    session: Session, config: TeamConfig, draft_id: int, accounts: list[str], slot: datetime, links: list[str]
) -> list[Collision]:
    """What a post on `accounts` at `slot` collides with: posts on the same account closer than its
    gap, the same link on the same account within 7 days, and blackout notes.

    Two statements whatever the size of the calendar, each reading only what is around the slot:
    the accounts' posts in the window (the account-and-slot index, each post's links and state
    looked up by primary key: a join would let PostgreSQL prefer scanning every plan and draft
    of the year), then the blackout notes touching the day."""
    gaps = {name: timedelta(minutes=(config.account(name) or Account(name=name)).min_gap_minutes) for name in accounts}
    wanted = {link for link in links if link}
    window = max([SAME_LINK_WINDOW, *gaps.values()]) if wanted else max(gaps.values())
    rows = session.execute(
        select(PlanAccount.account, PlanAccount.draft_id, PlanAccount.slot, _by_key(Plan.links, PlanAccount))
        .where(
            PlanAccount.account.in_(accounts),
            PlanAccount.slot > slot - window,
            PlanAccount.slot < slot + window,
            PlanAccount.draft_id != draft_id,
            _by_key(Draft.status, PlanAccount).not_in(INACTIVE),
        )
        .order_by(PlanAccount.slot)
    ).all()
    found: list[Collision] = []
    for account, other, other_slot, other_links in rows:
        distance = abs(other_slot - slot)
        if distance < gaps[account]:
            found.append(Collision("gap", account, other, other_slot))
        elif wanted and distance < SAME_LINK_WINDOW and wanted & set((other_links or "").split("\n")):
            found.append(Collision("link", account, other, other_slot))
    if wanted:
        for collision in [c for c in found if c.kind == "gap"]:
            links_of_other = next((r[3] for r in rows if r[1] == collision.other_draft), "") or ""
            if wanted & set(links_of_other.split("\n")):
                found.append(Collision("link", collision.account, collision.other_draft, collision.other_slot))
    day = slot.astimezone(config.tz).date()
    for note in session.scalars(
        select(CalendarNote)
        .where(
            CalendarNote.start.between(day - timedelta(days=LONGEST_NOTE_DAYS), day),
            CalendarNote.end >= day,
            CalendarNote.blackout.is_(True),
        )
        .order_by(CalendarNote.id)
    ):
        found.append(Collision("blackout", None, None, None, note=note.text))
    return found


# -- publishing ----------------------------------------------------------------------------------
@dataclass
class PublishOutcome:
    draft: Draft
    marked: list[Publication]
    already: list[Publication]
    published: bool  # every planned account is now published


def publishers_of(session: Session, config: TeamConfig, account: str, at: datetime) -> list[str]:
    """Whoever of the account's publishers (default: the community managers) is on shift at `at`;
    all of them when none is."""
    configured = config.account(account)
    people = list(configured.publishers) if configured and configured.publishers else []
    if not people:
        people = roles.holders(session, "community_manager")
    on_shift = []
    for team in config.team_names():
        occurrence = shifts.rota_on_shift(session, config, team, at)
        if occurrence is not None and occurrence.person in people and occurrence.person not in on_shift:
            on_shift.append(occurrence.person)
    return on_shift or people


def publishers_of_plan(
    session: Session, config: TeamConfig, plan: Plan | None, at: datetime, accounts: list[str] | None = None
) -> list[str]:
    """Who publishes the plan's `accounts` (default: all of them) at `at`."""
    names = accounts or (plan.account_names() if plan else [a.name for a in config.accounts])
    people: list[str] = []
    for name in names:
        for person in publishers_of(session, config, name, at):
            if person not in people:
                people.append(person)
    return people or roles.holders(session, "community_manager")


def accounts_of_channel(config: TeamConfig, channel: str) -> list[str]:
    """The accounts a draft in `channel` may go out on: a brand's drafts channel has that brand's
    accounts (as its account names resolve); the team's own has them all."""
    brand = config.brand_of_channel(channel)
    return [a.name for a in config.accounts if not brand or a.brand == brand]


def may_mark(session: Session, config: TeamConfig, user: str, account: str) -> bool:
    configured = config.account(account)
    if configured and user in configured.publishers:
        return True
    return any(roles.has_role(session, user, role) for role in MAY_MARK)


def publications_of(session: Session, draft_id: int) -> list[Publication]:
    return list(session.scalars(select(Publication).where(Publication.draft_id == draft_id).order_by(Publication.id)))


def mark_published(
    session: Session,
    config: TeamConfig,
    draft: Draft,
    *,
    urls: dict[str, str | None],
    by: str,
    now: datetime,
    via: str = "command",
) -> PublishOutcome:
    """Record the (locked) draft as published on these accounts (account → URL or None). An
    account marked before is left as it was (the double-post guard) and reported back. `via` is
    `command` for `/calendar published`, `button` for the Mark published modal."""
    if draft.status not in ("approved", "published"):
        raise Conflict(
            f"Draft #{draft.id} is {draft.status.replace('_', ' ')}; only an approved draft can be published."
        )
    plan = plan_of(session, draft.id)
    planned = plan.account_names() if plan else []
    allowed = planned or accounts_of_channel(config, draft.channel)
    for account in urls:
        if account not in allowed:
            what = f"planned for draft #{draft.id}" if planned else "an account"
            raise BadInput(f"`{account}` is not {what}. Accounts: {names_list(allowed) or 'none'}.", PUBLISHED_EXAMPLE)
        if not may_mark(session, config, by, account):
            raise NotAllowed(f"Only {account}'s publishers, community managers and strategists may mark it published.")
    marked: list[Publication] = []
    already: list[Publication] = []
    for account, url in urls.items():
        if insert_unless_present(session, Publication, draft_id=draft.id, account=account, by=by, at=now, url=url):
            marked.append(
                session.scalars(
                    select(Publication).where(Publication.draft_id == draft.id, Publication.account == account)
                ).one()
            )
            session.add(DraftEvent(draft=draft, action="published", by=by, at=now, via=via, note=account))
            if url and draft.published_url is None and not _url_taken(session, url, draft.id):
                # Where it was published: the metrics import matches its rows by this address.
                draft.published_url = url
        else:
            already.append(
                session.scalars(
                    select(Publication).where(Publication.draft_id == draft.id, Publication.account == account)
                ).one()
            )
    done = {p.account for p in publications_of(session, draft.id)}
    complete = bool(done) and all(a in done for a in (planned or list(done)))
    if complete and draft.status != "published":
        draft.status, draft.updated_at = "published", now
    return PublishOutcome(draft, marked, already, complete and bool(marked))


def _url_taken(session: Session, url: str, draft_id: int) -> bool:
    return session.scalar(select(Draft.id).where(Draft.published_url == url, Draft.id != draft_id)) is not None


def accounts_to_mark(session: Session, config: TeamConfig, draft: Draft, account: str | None) -> list[str]:
    plan = plan_of(session, draft.id)
    planned = plan.account_names() if plan else []
    if account:
        return [account.lower()]
    if planned:
        done = {p.account for p in publications_of(session, draft.id)}
        return [a for a in planned if a not in done] or planned
    accounts = accounts_of_channel(config, draft.channel)
    if len(accounts) == 1:
        return accounts
    known = names_list(accounts) or "none"
    raise BadInput(f"Draft #{draft.id} has no plan: name the account. Accounts: {known}.", PUBLISHED_EXAMPLE)


# -- notes ---------------------------------------------------------------------------------------
def parse_note_days(word: str, today: date) -> tuple[date, date]:
    first, _, last = word.partition("..")
    start = parse_date(first, today, example=NOTE_EXAMPLE)
    end = parse_date(last, today, example=NOTE_EXAMPLE) if last else start
    if end < start:
        raise BadInput("The note ends before it starts.", NOTE_EXAMPLE)
    if (end - start).days > LONGEST_NOTE_DAYS:
        raise BadInput("A note covers at most a year.", NOTE_EXAMPLE)
    return start, end


def check_may_note(session: Session, user: str) -> None:
    if not any(roles.has_role(session, user, role) for role in MAY_NOTE):
        raise NotAllowed("Only content managers, strategists and coordinators may change calendar notes.")


def add_note(
    session: Session, *, start: date, end: date, blackout: bool, text: str, by: str, now: datetime
) -> CalendarNote:
    check_may_note(session, by)
    if not text.strip():
        raise BadInput("Write what the note is about.", NOTE_EXAMPLE)
    note = CalendarNote(
        start=start, end=end, blackout=blackout, text=truncate(text.strip(), 1000), by=by, created_at=now
    )
    session.add(note)
    session.flush()
    return note


def delete_note(session: Session, note_id: int, by: str) -> CalendarNote:
    check_may_note(session, by)
    note = session.get(CalendarNote, note_id)
    if note is None:
        raise NotFound(f"There is no calendar note #{note_id}.", "/calendar note delete 3")
    session.delete(note)
    return note


def coming_notes(session: Session, today: date, limit: int) -> tuple[list[CalendarNote], int]:
    condition = CalendarNote.end >= today
    total = session.scalar(select(func.count()).select_from(CalendarNote).where(condition)) or 0
    notes = session.scalars(
        select(CalendarNote).where(condition).order_by(CalendarNote.start, CalendarNote.id).limit(limit)
    )
    return list(notes), total


# -- the week ------------------------------------------------------------------------------------
@dataclass
class Entry:
    draft_id: int
    channel: str
    ts: str
    status: str
    slot: datetime
    accounts: list[str]
    summary: str


@dataclass
class Week:
    monday: date
    account: str | None
    days: dict[date, list[Entry]]
    notes: dict[date, list[CalendarNote]]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week(session: Session, config: TeamConfig, monday: date, account: str | None = None) -> Week:
    """Every planned post of the week (Monday to Sunday, team time) and its notes: two queries,
    whatever the size of the calendar, each reading only the week: the week's plans (the slot
    index; each one's draft looked up by primary key, as a join would let PostgreSQL prefer
    scanning every draft of the year), and the notes touching the week."""
    start, end = slot_of(config, monday, time(0)), slot_of(config, monday + timedelta(days=7), time(0))
    query = (
        select(
            Plan.draft_id,
            _by_key(Draft.channel, Plan),
            _by_key(Draft.ts, Plan),
            _by_key(Draft.status, Plan),
            Plan.slot,
            Plan.accounts,
            Plan.summary,
        )
        .where(Plan.slot >= start, Plan.slot < end)
        .order_by(Plan.slot, Plan.draft_id)
    )
    if account:
        query = query.where(
            Plan.draft_id.in_(
                select(PlanAccount.draft_id).where(
                    PlanAccount.account == account, PlanAccount.slot >= start, PlanAccount.slot < end
                )
            )
        )
    days: dict[date, list[Entry]] = {monday + timedelta(days=i): [] for i in range(7)}
    for draft_id, channel, ts, status, slot, accounts, summary in session.execute(query):
        entry = Entry(draft_id, channel, ts, status, slot, accounts.split(","), summary)
        days.setdefault(slot.astimezone(config.tz).date(), []).append(entry)
    notes: dict[date, list[CalendarNote]] = {day: [] for day in days}
    last = monday + timedelta(days=6)
    touching = session.scalars(
        select(CalendarNote).where(
            CalendarNote.start.between(monday - timedelta(days=LONGEST_NOTE_DAYS), last), CalendarNote.end >= monday
        )
    )
    for note in sorted(touching, key=lambda n: n.id):
        for day in notes:
            if note.start <= day <= note.end:
                notes[day].append(note)
    return Week(monday, account, days, notes)


def gaps(config: TeamConfig, view: Week) -> dict[str, list[date]]:
    """Per account, the days of the week on which nothing active is planned on it."""
    result: dict[str, list[date]] = {}
    for account in config.accounts:
        empty = [
            day
            for day, entries in view.days.items()
            if not any(account.name in e.accounts and e.status not in INACTIVE for e in entries)
        ]
        if empty:
            result[account.name] = empty
    return result


# -- the chain role `client` ---------------------------------------------------------------------
def _keep_client_approvers(session: Session, draft_id: int, people: list[str]) -> None:
    """Who holds `client` for the draft from now on: its brand's client approvers at planning time."""
    session.execute(delete(ClientApprover).where(ClientApprover.draft_id == draft_id))
    unique = list(dict.fromkeys(people))
    session.add_all(ClientApprover(draft_id=draft_id, user_id=u, position=n) for n, u in enumerate(unique))


def held_per_draft() -> dict[str, HeldPerDraft]:
    return {CLIENT_ROLE: HeldPerDraft(ClientApprover.draft_id, ClientApprover.user_id)}


def client_holders(session: Session, draft: Draft, role: str) -> list[str] | None:
    if role != CLIENT_ROLE:
        return None
    query = select(ClientApprover.user_id).where(ClientApprover.draft_id == draft.id)
    return list(session.scalars(query.order_by(ClientApprover.position)))


# -- export --------------------------------------------------------------------------------------
def export_fields(session: Session, draft_ids: list[int]) -> dict[int, dict[str, Any]]:
    """`accounts`, `planned_at` and `publications` of each draft (three queries for all of them)."""
    fields: dict[int, dict[str, Any]] = {i: {"accounts": [], "planned_at": None, "publications": []} for i in draft_ids}
    if not draft_ids:
        return fields
    for plan in session.scalars(select(Plan)):
        if plan.draft_id in fields:
            fields[plan.draft_id]["accounts"] = plan.account_names()
            fields[plan.draft_id]["planned_at"] = iso(plan.slot)
    for publication in session.scalars(select(Publication).order_by(Publication.id)):
        if publication.draft_id in fields:
            fields[publication.draft_id]["publications"].append(
                {
                    "account": publication.account,
                    "by": publication.by,
                    "at": iso(publication.at),
                    "url": publication.url,
                }
            )
    return fields


def export_notes(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = since_filter(select(CalendarNote).order_by(CalendarNote.id), CalendarNote.created_at, since)
    return [
        {
            "id": n.id,
            "start": n.start.isoformat(),
            "end": n.end.isoformat(),
            "blackout": n.blackout,
            "text": n.text,
            "by": n.by,
            "created_at": iso(n.created_at),
        }
        for n in session.scalars(query)
    ]


# -- timers --------------------------------------------------------------------------------------
# How far back a timer still fires after an outage: a week-old slot is not worth a reminder or a
# prompt to publish. Expiry is no reminder: a draft still waiting for approval past its deadline
# expires however long ago that was, or it would wait forever with its slot behind it.
TIMER_LOOKBACK = timedelta(days=2)


@dataclass
class DueTimer:
    draft_id: int
    kind: str  # "remind:MINUTES" | "expire" | "publish" | "publish_remind" | "publish_report"
    slot: datetime


def due_timers(session: Session, config: TeamConfig, now: datetime) -> list[DueTimer]:
    """Every calendar timer due at `now` that has not fired (a pure selection: one query for the
    plans around now, one for the timers they already fired)."""
    settings = config.calendar
    approve_before = timedelta(minutes=settings.approve_before_minutes)
    grace = timedelta(minutes=settings.publish_grace_minutes)
    reminders = sorted(timedelta(minutes=m) for m in settings.remind_before_minutes)
    horizon = max([approve_before, *reminders])
    rows = session.execute(
        select(Plan.draft_id, Plan.slot, Draft.status)
        .join(Draft, Draft.id == Plan.draft_id)
        .where(
            Plan.slot.is_not(None),
            Plan.slot <= now + horizon,
            or_(
                Draft.status.in_(AWAITING_APPROVAL),
                and_(Draft.status == "approved", Plan.slot > now - TIMER_LOOKBACK),
            ),
        )
        .order_by(Plan.slot, Plan.draft_id)
    ).all()
    if not rows:
        return []
    fired = {
        (draft_id, kind, slot)
        for draft_id, kind, slot in session.execute(
            select(TimerFired.draft_id, TimerFired.kind, TimerFired.slot).where(
                TimerFired.draft_id.in_([r[0] for r in rows])
            )
        )
    }
    due: list[DueTimer] = []
    for draft_id, slot, status in rows:
        candidates: list[str] = []
        if status in AWAITING_APPROVAL:
            if now >= slot - approve_before:
                candidates.append("expire")
            else:
                # Only the nearest reminder that is due (after an outage the earlier ones are moot).
                nearest = next((r for r in reminders if now >= slot - r), None)
                if nearest is not None:
                    candidates.append(f"remind:{int(nearest.total_seconds() // 60)}")
        else:
            if now >= slot:
                candidates.append("publish")
            if now >= slot + grace:
                candidates.append("publish_remind")
            if now >= slot + 2 * grace:
                candidates.append("publish_report")
        due += [DueTimer(draft_id, kind, slot) for kind in candidates if (draft_id, kind, slot) not in fired]
    return due


def claim_timer(session: Session, timer: DueTimer, now: datetime) -> bool:
    """Mark the timer fired, in the transaction doing its work: only one transaction (replica,
    retried tick) wins; the others see it was done."""
    return insert_unless_present(
        session, TimerFired, draft_id=timer.draft_id, kind=timer.kind, slot=timer.slot, fired_at=now
    )


def expire(session: Session, draft: Draft, now: datetime) -> bool:
    """The (locked) draft missed its approval deadline."""
    if draft.status not in AWAITING_APPROVAL:
        return False
    draft.status, draft.decided_at, draft.updated_at = "expired", now, now
    session.add(
        DraftEvent(
            draft=draft,
            action="expired",
            by=None,
            at=now,
            via="schedule",
            step=draft.current_step + 1,
            note="not finally approved before the approval deadline",
        )
    )
    return True


def missing_accounts(session: Session, draft: Draft) -> list[str]:
    plan = plan_of(session, draft.id)
    done = {p.account for p in publications_of(session, draft.id)}
    return [a for a in (plan.account_names() if plan else []) if a not in done]


def week_posted(session: Session, run: str, now: datetime) -> bool:
    return insert_unless_present(session, WeekPosted, run=run, posted_at=now)
