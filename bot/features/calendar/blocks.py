"""Block Kit for the publishing calendar (pure functions)."""

from __future__ import annotations

import json
from datetime import date, datetime

from bot.core.config import Account
from bot.core.text import MAX_LIST, truncate
from bot.features.approvals.models import Draft
from bot.features.calendar.models import CalendarNote, Plan, Publication
from bot.features.calendar.service import Collision, Entry, Week
from bot.slack.blocks import (
    Block,
    bounded_lines,
    button,
    context,
    help_text,
    mention,
    mentions,
    modal,
    packed_sections,
    plain_input,
    section,
)
from bot.slack.ids import ActionId, ViewId

CALENDAR_HELP = help_text(
    "/calendar",
    "the publishing calendar: what goes out where and when, and who publishes it.",
    [
        "/calendar",
        "/calendar next",
        "/calendar 2026-12-10 instagram",
        "/calendar plan #12 instagram,x 2026-12-10 16:30",
        "/calendar published #12 instagram https://instagram.com/p/abc",
        "/calendar note 2026-12-24..2026-12-26 blackout Christmas: no posts",
        "/calendar notes",
        "/calendar note delete 3",
    ],
)
SUB_HELP = {
    "plan": help_text(
        "/calendar plan",
        "plan a draft on accounts at a day and time (team time); the author, content managers and strategists may.",
        ["/calendar plan #12 instagram 2026-12-10 10:00", "/calendar plan 12 instagram,x fri 16:30"],
    ),
    "published": help_text(
        "/calendar published",
        "record that an approved draft went out on an account, and where.",
        ["/calendar published #12", "/calendar published #12 instagram https://instagram.com/p/abc"],
    ),
    "note": help_text(
        "/calendar note",
        "add a note to days of the calendar (holidays, campaigns, launches; `blackout`: no posts), or delete one.",
        [
            "/calendar note 2026-12-24 Christmas Eve",
            "/calendar note 2026-12-24..2026-12-26 blackout Christmas: no posts",
            "/calendar note delete 3",
        ],
    ),
    "notes": help_text("/calendar notes", "the coming calendar notes.", ["/calendar notes"]),
    "next": help_text(
        "/calendar next", "next week's calendar, optionally for one account.", ["/calendar next instagram"]
    ),
}
STATUS_ICON = {
    "pending": "⏳",
    "approved": "✅",
    "published": "📣",
    "rejected": "❌",
    "changes_requested": "📝",
    "withdrawn": "🗑️",
    "expired": "⌛",
    "on_hold": "⏸️",
}
PLAN_ACCOUNTS_BLOCK, PLAN_DATE_BLOCK, PLAN_TIME_BLOCK = "accounts", "date", "time"
PUBLISH_ACCOUNT_BLOCK = "account"


def permalink(channel: str, ts: str) -> str:
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def draft_ref(draft_id: int, channel: str, ts: str) -> str:
    return f"<{permalink(channel, ts)}|#{draft_id}>"


def wall(moment: datetime, tz: object) -> str:
    local = moment.astimezone(tz)  # type: ignore[arg-type]
    return local.strftime("%a %Y-%m-%d %H:%M")


def when(moment: datetime) -> str:
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


# -- the status message --------------------------------------------------------------------------
def status_blocks(draft: Draft, plan: Plan | None, publications: list[Publication]) -> list[Block]:
    """The plan on a draft's status message, with **Plan** (and **Mark published** once approved)."""
    if plan is None:
        line = "📅 Not on the calendar yet."
    else:
        slot = when(plan.slot) if plan.slot else "no slot yet"
        line = f"📅 *Plan:* {', '.join(plan.account_names())} — {slot}"
    for publication in publications:
        where = f" <{publication.url}>" if publication.url else ""
        line += f"\n📣 {publication.account}: published by {mention(publication.by)} {when(publication.at)}{where}"
    blocks: list[Block] = []
    if draft.status in ("withdrawn", "published"):
        blocks.append(section(line))
    else:
        blocks.append(section(line, accessory=button("Plan", ActionId.CALENDAR_PLAN, str(draft.id))))
    if draft.status == "approved":
        blocks.append(
            section(
                "Once it is out, record where:",
                accessory=button("Mark published", ActionId.CALENDAR_MARK_PUBLISHED, str(draft.id), style="primary"),
            )
        )
    return blocks


# -- notices -------------------------------------------------------------------------------------
def planned_notice(draft: Draft, plan: Plan, by: str, replanned: bool, restarted: bool, revived: bool) -> str:
    slot = when(plan.slot) if plan.slot else "no slot yet"
    verb = "re-planned" if replanned else "planned"
    text = f"📅 {mention(by)} {verb} draft #{draft.id} on {', '.join(plan.account_names())} — {slot}."
    if restarted:
        text += " Those accounts have another approval chain, so approval starts again from step 1."
    if revived:
        text += f" It was expired; it waits for approval again at step {draft.current_step + 1}."
    return text


def collision_lines(collisions: list[Collision], tz: object) -> list[str]:
    lines = []
    for c in collisions:
        if c.kind == "gap" and c.other_slot:
            lines.append(f"• {c.account}: draft #{c.other_draft} is planned close by, at {wall(c.other_slot, tz)}")
        elif c.kind == "link" and c.other_slot:
            lines.append(f"• {c.account}: draft #{c.other_draft} shares a link and goes out {wall(c.other_slot, tz)}")
        elif c.kind == "blackout":
            from bot.core.text import for_display

            lines.append(f"• the slot falls in a blackout: {for_display(c.note)}")
    return bounded_lines(lines)


def collision_notice(draft: Draft, collisions: list[Collision], tz: object) -> str:
    return f"⚠️ Draft #{draft.id} collides on the calendar:\n" + "\n".join(collision_lines(collisions, tz))


def expired_notice(draft: Draft, approvers: list[str], link: str) -> str:
    return (
        f"⌛ {link} by {mention(draft.author)} was not approved in time for its slot, so it is expired. "
        f"Waiting for: {mentions(approvers)}. Re-plan it (**Plan** or `/calendar plan`) to bring it back."
    )


def deadline_reminder(draft: Draft, role: str, approvers: list[str], slot: datetime, link: str) -> str:
    if draft.status == "changes_requested":
        return (
            f"⏰ {link} goes out {when(slot)}, but changes were asked for and it still waits for a *{role}*: "
            f"{mention(draft.author)}, please edit it; {mentions(approvers)}, please review it again before "
            "the deadline."
        )
    return (
        f"⏰ {link} goes out {when(slot)} and still waits for a *{role}*: "
        f"{mentions(approvers)}, please review it before the deadline."
    )


def publishing_notice(link: str, publishers: list[str]) -> str:
    return f"📣 {link} is due now: {mentions(publishers)} publishing."


def publish_prompt(draft: Draft, accounts: list[str], link: str) -> tuple[str, list[Block]]:
    """The publishers' prompt at the slot, naming the accounts the post has not gone out on yet."""
    text = f"📣 Time to publish {link} on {', '.join(accounts) or 'its account'}. Mark it published once it is out."
    return text, [
        section(
            text, accessory=button("Mark published", ActionId.CALENDAR_MARK_PUBLISHED, str(draft.id), style="primary")
        )
    ]


def publish_reminder(draft: Draft, link: str, missing: list[str]) -> tuple[str, list[Block]]:
    text = f"⏰ {link} was due and is not marked published yet on {', '.join(missing)}."
    return text, [
        section(
            text, accessory=button("Mark published", ActionId.CALENDAR_MARK_PUBLISHED, str(draft.id), style="primary")
        )
    ]


def coordinators_report(link: str, missing: list[str], publishers: list[str], slot: datetime) -> str:
    return (
        f"📋 {link} was due {when(slot)} and is still not marked published on {', '.join(missing)} "
        f"(publishers: {mentions(publishers)})."
    )


def published_reply(draft: Draft, marked: list[Publication], already: list[Publication], complete: bool) -> str:
    parts = []
    if marked:
        parts.append(f"Draft #{draft.id} marked published on {', '.join(p.account for p in marked)}.")
    for p in already:
        parts.append(
            f"{p.account} was already marked published by {mention(p.by)} {when(p.at)}: nothing changed "
            "(don't post it twice)."
        )
    if complete:
        parts.append("Every planned account is published 📣.")
    return " ".join(parts)


def published_notice(draft: Draft, marked: list[Publication], complete: bool) -> str:
    lines = [f"📣 {p.account}: published by {mention(p.by)}" + (f" — <{p.url}>" if p.url else "") for p in marked]
    text = "\n".join(lines)
    if complete:
        text += f"\nDraft #{draft.id} is published on every planned account."
    return text


# -- /calendar -----------------------------------------------------------------------------------
# What a day of the week's view shows at most: the rest is counted in an "and N more" line.
POSTS_PER_DAY = MAX_LIST
NOTES_PER_DAY = 5
# Every line of the week's view is cut to this (a post's first words go first: its time, accounts
# and link come before them), so at least 7 lines fit a section of 3,000 characters and a day (its
# title, 5 notes, 20 posts and two "and N more" lines) takes at most 4 sections: the week's 28, with
# the header, a crisis banner, the weekly post's gaps and the footer, stay well inside Slack's 50
# blocks.
WEEK_LINE_LIMIT = 400
ACCOUNTS_SHOWN_LIMIT = 120
NOTE_TEXT_LIMIT = 300


def _entry_line(entry: Entry, tz: object) -> str:
    from bot.core.text import for_display

    local = entry.slot.astimezone(tz).strftime("%H:%M")  # type: ignore[arg-type]
    icon = STATUS_ICON.get(entry.status, "•")
    words = for_display(entry.summary) or "(no text)"
    accounts = truncate(", ".join(entry.accounts), ACCOUNTS_SHOWN_LIMIT)
    line = (
        f"{icon} {local} [{accounts}] {draft_ref(entry.draft_id, entry.channel, entry.ts)} "
        f"{entry.status.replace('_', ' ')} — {words}"
    )
    return truncate(line, WEEK_LINE_LIMIT)


def note_line(note: CalendarNote, text_limit: int = 1000) -> str:
    from bot.core.text import for_display

    days = note.start.isoformat() if note.start == note.end else f"{note.start.isoformat()}..{note.end.isoformat()}"
    kind = "⛔ blackout" if note.blackout else "🗒️"
    return f"{kind} #{note.id} {days}: {for_display(truncate(note.text, text_limit))} ({mention(note.by)})"


def _more(count: int, limit: int, what: str) -> list[str]:
    return [f"   …and {count - limit:,} more {what}"] if count > limit else []


def day_lines(day: date, entries: list[Entry], notes: list[CalendarNote], tz: object) -> list[str]:
    """One day of the week's view: its notes, then its posts, each list cut with "and N more"."""
    lines = [f"*{day.strftime('%a %d %b')}*"]
    lines += [f"   {truncate(note_line(n, NOTE_TEXT_LIMIT), WEEK_LINE_LIMIT)}" for n in notes[:NOTES_PER_DAY]]
    lines += _more(len(notes), NOTES_PER_DAY, "note(s)")
    lines += [f"   {_entry_line(e, tz)}" for e in entries[:POSTS_PER_DAY]]
    lines += _more(len(entries), POSTS_PER_DAY, "post(s)")
    if not entries and not notes:
        lines.append("   _nothing planned_")
    return lines


def week_view(view: Week, tz: object, *, title: str | None = None) -> tuple[str, list[Block]]:
    monday = view.monday
    sunday = max(view.days)
    scope = f" — {view.account}" if view.account else ""
    header = title or f"*Publishing calendar, week of {monday.isoformat()} to {sunday.isoformat()}{scope}*"
    blocks: list[Block] = [section(header)]
    total = 0
    for day, entries in sorted(view.days.items()):
        total += len(entries)
        blocks += packed_sections(day_lines(day, entries, view.notes.get(day, []), tz))
    blocks.append(context("Plan a draft with its **Plan** button or `/calendar plan`; `/calendar help` for more."))
    return f"Publishing calendar: {total} post(s) this week", blocks


def gaps_text(gaps: dict[str, list[date]]) -> str:
    if not gaps:
        return "Every account has a post every day this week. 🎉"
    lines = [
        f"• {account}: nothing on {', '.join(day.strftime('%a') for day in days)}" for account, days in gaps.items()
    ]
    return "*Gaps:*\n" + "\n".join(bounded_lines(lines))


def notes_list(notes: list[CalendarNote], total: int) -> list[Block]:
    from bot.slack.blocks import list_sections

    return list_sections("*Coming calendar notes*", [note_line(n) for n in notes], "No notes coming.", total=total)


# -- modals --------------------------------------------------------------------------------------
def _option(name: str) -> Block:
    return {"text": {"type": "plain_text", "text": name[:75]}, "value": name}


def plan_modal(draft: Draft, accounts: list[Account], plan: Plan | None, tz: object) -> Block:
    chosen = plan.account_names() if plan else []
    select: Block = {
        "type": "multi_static_select",
        "action_id": "value",
        "options": [_option(a.name) for a in accounts[:100]],
        "placeholder": {"type": "plain_text", "text": "Accounts"},
    }
    initial = [_option(name) for name in chosen if any(a.name == name for a in accounts)]
    if initial:
        select["initial_options"] = initial
    datepicker: Block = {"type": "datepicker", "action_id": "value"}
    timepicker: Block = {"type": "timepicker", "action_id": "value"}
    if plan and plan.slot:
        local = plan.slot.astimezone(tz)  # type: ignore[arg-type]
        datepicker["initial_date"] = local.strftime("%Y-%m-%d")
        timepicker["initial_time"] = local.strftime("%H:%M")
    blocks = [
        section(f"Plan draft #{draft.id} by {mention(draft.author)} (times are the team's clock)."),
        {
            "type": "input",
            "block_id": PLAN_ACCOUNTS_BLOCK,
            "label": {"type": "plain_text", "text": "Accounts"},
            "element": select,
        },
        {
            "type": "input",
            "block_id": PLAN_DATE_BLOCK,
            "label": {"type": "plain_text", "text": "Day"},
            "element": datepicker,
        },
        {
            "type": "input",
            "block_id": PLAN_TIME_BLOCK,
            "label": {"type": "plain_text", "text": "Time"},
            "element": timepicker,
        },
    ]
    metadata = json.dumps({"draft": draft.id})
    return modal(ViewId.CALENDAR_PLAN, "Plan a post", blocks, submit="Plan", private_metadata=metadata)


def published_modal(draft: Draft, accounts: list[str], choose_from: list[str]) -> Block:
    """One optional URL per account still to mark; with no plan, the account is chosen first."""
    blocks: list[Block] = [section(f"Mark draft #{draft.id} published. The post's address is optional.")]
    if choose_from:
        blocks.append(
            {
                "type": "input",
                "block_id": PUBLISH_ACCOUNT_BLOCK,
                "label": {"type": "plain_text", "text": "Account"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [_option(a) for a in choose_from[:100]],
                },
            }
        )
        blocks.append(plain_input("url:", "Post URL", optional=True, max_length=500))
    for account in accounts[:20]:
        blocks.append(plain_input(f"url:{account}", f"{account}: post URL", optional=True, max_length=500))
    metadata = json.dumps({"draft": draft.id, "accounts": accounts})
    return modal(ViewId.CALENDAR_PUBLISHED, "Mark published", blocks, submit="Published", private_metadata=metadata)
