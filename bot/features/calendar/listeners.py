"""The publishing calendar in Slack: /calendar, the Plan and Mark published buttons and their
forms, and plans written at the start of a draft."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy.orm import Session

from bot.core.errors import BadInput, Conflict, DomainError
from bot.core.text import escape_raw, parse_id, rest_after, split_args, unwrap_link
from bot.features.approvals import service as approvals
from bot.features.approvals.extensions import HeldPerDraft
from bot.features.approvals.models import Draft
from bot.features.calendar import blocks as ui
from bot.features.calendar import notices as notify
from bot.features.calendar import service as calendar
from bot.features.metrics import service as metrics
from bot.slack.blocks import MAX_LIST
from bot.slack.context import Req, ephemeral, wants_help
from bot.slack.ids import ActionId, ViewId
from bot.slack.views import form_metadata

VIEW_EXAMPLE = "/calendar 2026-12-10 instagram"


def register(app: App) -> None:
    app.command("/calendar")(calendar_command)
    app.action(ActionId.CALENDAR_PLAN)(plan_button)
    app.action(ActionId.CALENDAR_MARK_PUBLISHED)(mark_published_button)
    app.view(ViewId.CALENDAR_PLAN)(plan_submitted)
    app.view(ViewId.CALENDAR_PUBLISHED)(published_submitted)


# -- /calendar -----------------------------------------------------------------------------------
def calendar_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    text = command.get("text") or ""
    args = split_args(text)
    user = command["user_id"]
    if wants_help(args):
        ack(**ephemeral(ui.CALENDAR_HELP))
        return
    word = args[0].lower() if args else ""
    if word in ui.SUB_HELP and wants_help(args[1:]):
        ack(**ephemeral(ui.SUB_HELP[word]))
        return
    if word == "plan":
        ack(**ephemeral(_plan_command(req, args[1:], user)))
    elif word == "published":
        ack(**ephemeral(_published_command(req, args[1:], user)))
    elif word == "notes":
        if len(args) > 1:
            raise BadInput("`/calendar notes` takes nothing more; it lists the coming notes.", "/calendar notes")
        notes, total = calendar.coming_notes(req.db, calendar.today_of(req.config, req.now), MAX_LIST)
        ack(**ephemeral(f"{total} coming calendar note(s)", ui.notes_list(notes, total)))
    elif word == "note":
        ack(**ephemeral(_note_command(req, text, args[1:], user)))
    else:
        reply_text, blocks = _week_command(req, args)
        ack(**ephemeral(reply_text, blocks))


def _week_command(req: Req, args: list[str]) -> tuple[str, list[dict[str, Any]]]:
    today = calendar.today_of(req.config, req.now)
    day, account = today, None
    for arg in args:
        lowered = arg.lower()
        if lowered == "next":
            day = today + timedelta(days=7)
        elif req.config.account(lowered) is not None:
            account = lowered
        elif lowered[:1].isdigit():
            day = calendar.parse_date(arg, today, example=VIEW_EXAMPLE)
        else:
            known = ", ".join(a.name for a in req.config.accounts) or "none yet (add [[accounts]] to the config)"
            raise BadInput(
                f"`{arg}` is not a week or an account. Write `next`, a day as YYYY-MM-DD, or an account: {known}.",
                VIEW_EXAMPLE,
            )
    view = calendar.week(req.db, req.config, calendar.week_start(day), account)
    text, blocks = ui.week_view(view, req.config.tz)
    return text, [*notify.banner(req.db), *blocks]


def _lock_draft(req: Req, token: str, example: str) -> Draft:
    try:
        return approvals.resolve(req.db, token)
    except DomainError as error:
        raise type(error)(error.message, example) from None


def _plan_command(req: Req, args: list[str], user: str) -> str:
    if len(args) < 2:
        raise BadInput("Name the draft and the accounts, then the day and the time.", calendar.PLAN_EXAMPLE)
    draft = _lock_draft(req, args[0], calendar.PLAN_EXAMPLE)
    names, rest = _account_list(args[1:])
    args = [args[0], names, *rest]
    brand = req.config.brand_of_channel(draft.channel)
    accounts = calendar.resolve_accounts(req.config, names.split(","), brand or None, calendar.PLAN_EXAMPLE)
    slot = None
    if len(args) == 3:
        raise BadInput("Give the day and the time, or neither.", calendar.PLAN_EXAMPLE)
    if len(args) >= 4:
        if len(args) > 4:
            raise BadInput(f"`{' '.join(args[4:])}` is more than the plan needs.", calendar.PLAN_EXAMPLE)
        today = calendar.today_of(req.config, req.now)
        day = calendar.parse_date(args[2], today)
        at = calendar.parse_time(args[3])
        slot = calendar.slot_of(req.config, day, at)
    outcome = calendar.plan(req.db, req.config, draft, accounts=accounts, slot=slot, by=user, now=req.now)
    notify.planned(req.db, req.outbox, req.config, outcome)
    answer = ui.planned_notice(draft, outcome.plan, user, outcome.replanned, outcome.chain_restarted, outcome.revived)
    if outcome.collisions:
        answer += "\n" + ui.collision_notice(draft, outcome.collisions, req.config.tz)
    return answer


def _account_list(words: list[str]) -> tuple[str, list[str]]:
    """The accounts written first (`instagram,x`, also `instagram, x` as a draft's `[instagram, x]`
    has them) as one comma-separated word, and the words after them."""
    names, taken = words[0], 1
    while taken < len(words) and (names.endswith(",") or words[taken].startswith(",")):
        names += words[taken]
        taken += 1
    return names, words[taken:]


def _published_command(req: Req, args: list[str], user: str) -> str:
    if not args:
        raise BadInput("Name the draft.", calendar.PUBLISHED_EXAMPLE)
    draft = _lock_draft(req, args[0], calendar.PUBLISHED_EXAMPLE)
    account, url = None, None
    for arg in args[1:]:
        candidate = unwrap_link(arg)
        if candidate.startswith(("http://", "https://")):
            if url is not None:
                raise BadInput("Give one post URL.", calendar.PUBLISHED_EXAMPLE)
            url = metrics.parse_url(candidate, example=calendar.PUBLISHED_EXAMPLE)
        elif account is None:
            account = arg.lower()
        else:
            raise BadInput(f"`{arg}` is neither an account nor a URL.", calendar.PUBLISHED_EXAMPLE)
    names = calendar.accounts_to_mark(req.db, req.config, draft, account)
    if url is not None and len(names) > 1:
        # A post's address is where it went out on one account: never given to several, never dropped.
        raise BadInput(
            f"Which account was it published on at that URL? Draft #{draft.id} waits on {', '.join(names)}: "
            "name the account before the URL.",
            f"/calendar published #{draft.id} {names[0]} {url}",
        )
    urls = {name: url for name in names}
    outcome = calendar.mark_published(req.db, req.config, draft, urls=urls, by=user, now=req.now)
    notify.published(req.db, req.outbox, outcome)
    return ui.published_reply(draft, outcome.marked, outcome.already, outcome.published)


def _note_command(req: Req, text: str, args: list[str], user: str) -> str:
    if not args:
        raise BadInput("Give the day(s) and the note.", calendar.NOTE_EXAMPLE)
    if args[0].lower() == "delete":
        note_id = parse_id(args[1]) if len(args) == 2 else None
        if note_id is None:
            raise BadInput("Name the note's number, as `/calendar notes` shows it.", "/calendar note delete 3")
        note = calendar.delete_note(req.db, note_id, user)
        return f"Calendar note #{note.id} deleted."
    start, end = calendar.parse_note_days(args[0], calendar.today_of(req.config, req.now))
    blackout = len(args) > 1 and args[1].lower() == "blackout"
    # The note as typed (Slack escaped it already), after `note`, the days and `blackout`.
    body = rest_after(text, 3 if blackout else 2)
    note = calendar.add_note(req.db, start=start, end=end, blackout=blackout, text=body, by=user, now=req.now)
    return f"Calendar note #{note.id} added: {ui.note_line(note)}"


# -- buttons and forms ---------------------------------------------------------------------------
def _clicked_draft(req: Req, body: dict[str, Any]) -> Draft:
    draft_id = parse_id(body["actions"][0].get("value") or "")
    if draft_id is None:
        raise BadInput("This button does not name a draft.")
    return approvals.lock(req.db, draft_id)


def _open(req: Req, trigger_id: str, view: dict[str, Any]) -> None:
    # A trigger_id works once and only for 3 seconds: views.open now, never queued or retried.
    if not req.open_view(trigger_id, view):
        raise Conflict("Slack could not open the form just now; please click the button again.")


def plan_button(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = Req.of(context)
    draft = _clicked_draft(req, body)
    calendar.check_may_plan(req.db, draft, body["user"]["id"])
    brand = req.config.brand_of_channel(draft.channel)
    accounts = [a for a in req.config.accounts if not brand or a.brand == brand]
    if not accounts:
        raise Conflict("There are no accounts to plan on yet: add [[accounts]] to the config.")
    plan = calendar.plan_of(req.db, draft.id)
    _open(req, body["trigger_id"], ui.plan_modal(draft, accounts, plan, req.config.tz))


def _state(view: dict[str, Any], block: str) -> dict[str, Any]:
    return view["state"]["values"].get(block, {}).get("value", {}) or {}


def plan_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    user = body["user"]["id"]
    metadata = form_metadata(view)
    draft_id = parse_id(str(metadata.get("draft", "")))
    if draft_id is None:
        raise BadInput("This form is out of date; open it again.")
    names = [o.get("value", "") for o in _state(view, ui.PLAN_ACCOUNTS_BLOCK).get("selected_options") or []]
    picked_day = _state(view, ui.PLAN_DATE_BLOCK).get("selected_date")
    picked_time = _state(view, ui.PLAN_TIME_BLOCK).get("selected_time")
    errors = {}
    if not names:
        errors[ui.PLAN_ACCOUNTS_BLOCK] = "Pick at least one account."
    if not picked_day:
        errors[ui.PLAN_DATE_BLOCK] = "Pick a day."
    if not picked_time:
        errors[ui.PLAN_TIME_BLOCK] = "Pick a time."
    slot = None
    if not errors:
        try:
            slot = calendar.slot_of(
                req.config, date.fromisoformat(picked_day or ""), time.fromisoformat(picked_time or "")
            )
        except ValueError:
            errors[ui.PLAN_DATE_BLOCK] = "That is not a day and time of the calendar."
    if slot is not None and slot <= req.now:
        errors[ui.PLAN_TIME_BLOCK] = "That slot is in the past: pick a later day or time."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    draft = approvals.lock(req.db, draft_id)
    brand = req.config.brand_of_channel(draft.channel)
    try:
        accounts = calendar.resolve_accounts(req.config, names, brand or None, calendar.PLAN_EXAMPLE)
    except BadInput as error:
        ack(response_action="errors", errors={ui.PLAN_ACCOUNTS_BLOCK: error.render()[:150]})
        return
    outcome = calendar.plan(req.db, req.config, draft, accounts=accounts, slot=slot, by=user, now=req.now, via="button")
    notify.planned(req.db, req.outbox, req.config, outcome)
    ack()


def mark_published_button(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = Req.of(context)
    draft = _clicked_draft(req, body)
    user = body["user"]["id"]
    if draft.status not in ("approved", "published"):
        raise Conflict(
            f"Draft #{draft.id} is {draft.status.replace('_', ' ')}; only an approved draft can be published."
        )
    plan = calendar.plan_of(req.db, draft.id)
    if plan is not None:
        done = {p.account for p in calendar.publications_of(req.db, draft.id)}
        todo = [a for a in plan.account_names() if a not in done]
        if not todo:
            earlier = calendar.publications_of(req.db, draft.id)
            raise Conflict(ui.published_reply(draft, [], earlier, False))
        if not any(calendar.may_mark(req.db, req.config, user, a) for a in todo):
            raise Conflict("Only the account's publishers, community managers and strategists may mark it published.")
        view = ui.published_modal(draft, todo, [])
    else:
        accounts = calendar.accounts_of_channel(req.config, draft.channel)
        if not accounts:
            raise Conflict("There are no accounts yet: add [[accounts]] to the config.")
        view = ui.published_modal(draft, [], accounts)
    _open(req, body["trigger_id"], view)


def published_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    user = body["user"]["id"]
    metadata = form_metadata(view)
    draft_id = parse_id(str(metadata.get("draft", "")))
    if draft_id is None:
        raise BadInput("This form is out of date; open it again.")
    values = view["state"]["values"]
    urls: dict[str, str | None] = {}
    chosen = (values.get(ui.PUBLISH_ACCOUNT_BLOCK, {}).get("value", {}).get("selected_option") or {}).get("value")
    blocks = {f"url:{a}": a for a in metadata.get("accounts") or []}
    if chosen:
        blocks = {"url:": chosen}
    for block, account in blocks.items():
        raw = (values.get(block, {}).get("value", {}).get("value") or "").strip()
        if raw:
            try:
                urls[account] = metrics.parse_url(escape_raw(raw), example="https://instagram.com/p/abc")
            except BadInput as error:
                ack(response_action="errors", errors={block: error.render()[:150]})
                return
        else:
            urls[account] = None
    if not urls:
        raise BadInput("Pick the account.")
    draft = approvals.lock(req.db, draft_id)
    outcome = calendar.mark_published(req.db, req.config, draft, urls=urls, by=user, now=req.now, via="button")
    notify.published(req.db, req.outbox, outcome)
    if outcome.already:
        req.outbox.dm(user, ui.published_reply(draft, [], outcome.already, False))
    ack()


# -- plans written in a draft --------------------------------------------------------------------
class CalendarDrafts:
    """How the calendar extends drafts (installed into approvals by the composition root)."""

    def on_new_draft(self, req: Req, draft: Draft) -> None:
        self._plan_from_text(req, draft, new_draft=True)

    def on_edited_draft(self, req: Req, draft: Draft) -> None:
        self._plan_from_text(req, draft, new_draft=False)

    def holders(self, session: Session, draft: Draft, role: str) -> list[str] | None:
        return calendar.client_holders(session, draft, role)

    def held_per_draft(self) -> dict[str, HeldPerDraft]:
        return calendar.held_per_draft()

    def status_blocks(self, session: Session, draft: Draft) -> list[dict[str, Any]]:
        return notify.status_blocks(session, draft)

    def export_fields(self, session: Session, draft_ids: list[int]) -> dict[int, dict[str, Any]]:
        return calendar.export_fields(session, draft_ids)

    @staticmethod
    def _plan_from_text(req: Req, draft: Draft, *, new_draft: bool) -> None:
        """A plan written at the start of the draft. A mistake in it is told to the author alone
        and leaves the draft as it was (unplanned, or on its earlier plan). An edit that keeps the
        plan (or a draft planned with /calendar plan) brings the plan's first words and links up to
        date."""
        try:
            prefix = calendar.parse_prefix(draft.text, calendar.today_of(req.config, req.now))
            if prefix is None:
                calendar.retext(req.db, draft, draft.text)
                return
            brand = req.config.brand_of_channel(draft.channel)
            example = "[instagram] 2026-12-10 16:30 Winter is here…"
            accounts = calendar.resolve_accounts(req.config, prefix.accounts, brand or None, example)
            slot = calendar.slot_of(req.config, prefix.day, prefix.at) if prefix.day and prefix.at else None
            current = calendar.plan_of(req.db, draft.id)
            if current and current.account_names() == [a.name for a in accounts] and current.slot == slot:
                calendar.retext(req.db, draft, prefix.rest)  # the edit left the plan as it was
                return
            if slot is not None and slot <= req.now:
                raise BadInput("The planned slot is in the past, so the draft is not planned.", example)
            with req.db.begin_nested():
                outcome = calendar.plan(
                    req.db,
                    req.config,
                    draft,
                    accounts=accounts,
                    slot=slot,
                    by=draft.author,
                    now=req.now,
                    via="command" if new_draft else "edit",
                )
        except DomainError as error:
            req.outbox.ephemeral(draft.channel, draft.author, error.render(), thread_ts=draft.ts)
            return
        notify.planned(req.db, req.outbox, req.config, outcome, new_draft=new_draft)
