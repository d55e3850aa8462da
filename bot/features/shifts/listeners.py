"""/shift: who is on shift, starting and ending a shift by hand, and shift notes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput
from bot.core.text import parse_id, parse_user, rest_after, split_args
from bot.features.handoffs import notices as handoff_notices
from bot.features.handoffs import service as handoffs
from bot.features.handoffs.models import HandoffKind
from bot.features.shifts import notices
from bot.features.shifts import service as shifts
from bot.features.shifts.blocks import SHIFT_HELP, local_time, occurrence_label, shift_status
from bot.slack.context import Req, check_person, ephemeral, wants_help, wants_sub_help
from bot.slack.ids import ActionId

SHIFT_EXAMPLE = "/shift who"
SWAP_ASK_EXAMPLE = "/shift swap 2026-03-02 @ben"


def register(app: App) -> None:
    app.command("/shift")(shift_command)
    app.action(ActionId.SHIFT_SWAP_TAKE.value)(take_swap_clicked)


# -- /shift -------------------------------------------------------------------------------------
def shift_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    text = command.get("text") or ""
    args = split_args(text)
    actor = command["user_id"]
    if wants_help(args) or wants_sub_help(args, ("who", "start", "end", "note", "swap", "away")):
        ack(**ephemeral(SHIFT_HELP))
        return
    sub = args[0].lower() if args else "who"
    if sub == "who":
        if len(args) > 1:
            raise BadInput("`/shift who` takes no arguments.", SHIFT_EXAMPLE)
        ack(
            **ephemeral(
                "Who is on shift", shift_status(shifts.team_statuses(req.db, req.config, req.now), req.config.tz)
            )
        )
    elif sub == "start":
        reply = start_shift(req, actor, args[1:])
        notices.sync_usergroups(req.db, req.config, req.outbox, req.now)
        ack(**ephemeral(reply))
    elif sub == "end":
        if len(args) > 1:
            raise BadInput("`/shift end` takes no arguments; it ends your shift.", "/shift end")
        teams = shifts.end(req.db, req.config, actor, req.now)
        notices.sync_usergroups(req.db, req.config, req.outbox, req.now)
        ack(**ephemeral(f"Your shift for {', '.join(teams)} has ended. Hand open work over with `/handoff @next`."))
    elif sub == "note":
        ack(**ephemeral(add_note(req, actor, text)))
    elif sub == "swap":
        ack(**ephemeral(ask_swap(req, actor, args[1:])))
    elif sub == "away":
        if len(args) != 2:
            raise BadInput("`/shift away` takes one day or a range FROM..TO.", shifts.AWAY_EXAMPLE)
        noted = shifts.away(req.db, req.config, actor, args[1], req.now)
        notices.away_noted(req.config, req.outbox, noted)
        for change in noted.changes:  # a shift of theirs under way passes to the cover now
            hand_over(
                req, change, HandoffKind.AWAY, f"<@{actor}> is away: <@{change.to_user}> takes the rest of the shift."
            )
        notices.sync_usergroups(req.db, req.config, req.outbox, req.now)
        ack(**ephemeral(notices.away_summary(req.config, noted)))
    else:
        raise BadInput(f"`/shift {args[0]}` is not a /shift command.", SHIFT_EXAMPLE)


def start_shift(req: Req, actor: str, rest: list[str]) -> str:
    if len(rest) > 1:
        raise BadInput("`/shift start` takes at most a team.", shifts.START_EXAMPLE)
    started = shifts.start(req.db, req.config, actor, rest[0] if rest else None, req.now)
    instead = f" (instead of <@{started.before.user}>)" if started.before is not None else ""
    until = f"until {local_time(started.ends_at, req.config.tz)} or " if started.ends_at else ""
    return f"You are on shift for {started.team}{instead} {until}until `/shift end`."


def add_note(req: Req, actor: str, text: str) -> str:
    args = split_args(text)
    # "/shift note pr Journalist called back": a team first, when more words follow it.
    team = shifts.parse_team(req.config, args[1]) if len(args) > 2 else None
    added = shifts.note(req.db, req.config, actor, team, rest_after(text, 2 if team else 1), req.now)
    count = added.pending
    return f"Noted for the {added.team} shift ({count} note{'s' if count != 1 else ''}); it goes with the next handoff."


def ask_swap(req: Req, actor: str, rest: list[str]) -> str:
    if not rest or len(rest) > 2:
        raise BadInput("`/shift swap` takes the day your shift starts, and optionally who to ask.", shifts.SWAP_EXAMPLE)
    asked = None
    if len(rest) == 2:
        asked = parse_user(rest[1])
        if asked is None:
            raise BadInput(f"`{rest[1]}` is not a Slack user; mention who to ask with @.", SWAP_ASK_EXAMPLE)
        check_person(req, asked, SWAP_ASK_EXAMPLE, not_the_bot="teambot cannot cover a shift")
    outcome = shifts.ask_swap(req.db, req.config, actor, rest[0], asked, req.now)
    notices.ask_swap(req.config, req.outbox, outcome)
    where = f"<@{asked}> is asked" if asked else f"the {outcome.occurrence.team} channel is asked"
    return (
        f"Swap #{outcome.override.id}: {where} to cover your "
        f"{occurrence_label(outcome.occurrence, req.config.tz)}. It stays yours until someone takes it."
    )


def take_swap_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    number = parse_id((body.get("actions") or [{}])[0].get("value") or "")
    if number is None:
        raise BadInput("That button does not name a swap.")
    taker = body["user"]["id"]
    taken = shifts.take_swap(req.db, req.config, number, taker, req.now)
    notices.swap_taken(req.config, req.outbox, taken)
    if taken.change is not None:  # under way, and its giver was on it: it changes hands now
        hand_over(
            req, taken.change, HandoffKind.SWAP, f"Swap #{taken.override.id}: <@{taker}> took the rest of the shift."
        )
        notices.sync_usergroups(req.db, req.config, req.outbox, req.now)
    ack()


def hand_over(req: Req, change: shifts.ChangeOfHands, kind: HandoffKind, notes: str) -> None:
    """The handoff of a shift under way that changed hands, as at a shift change: once per change."""
    handed = handoffs.for_change(req.db, req.config, change, kind=kind, notes=notes, now=req.now)
    if handed is not None:
        handoff_notices.announce(req.db, req.config, req.outbox, handed)
