"""/shift: who is on shift, starting and ending a shift by hand, and shift notes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput
from bot.core.text import rest_after, split_args
from bot.features.shifts import service as shifts
from bot.features.shifts.blocks import SHIFT_HELP, local_time, shift_status
from bot.slack.context import Req, ephemeral, wants_help

SHIFT_EXAMPLE = "/shift who"


def register(app: App) -> None:
    app.command("/shift")(shift_command)


# -- /shift -------------------------------------------------------------------------------------
def shift_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    text = command.get("text") or ""
    args = split_args(text)
    actor = command["user_id"]
    if wants_help(args):
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
        ack(**ephemeral(start_shift(req, actor, args[1:])))
    elif sub == "end":
        if len(args) > 1:
            raise BadInput("`/shift end` takes no arguments; it ends your shift.", "/shift end")
        teams = shifts.end(req.db, req.config, actor, req.now)
        ack(**ephemeral(f"Your shift for {', '.join(teams)} has ended. Hand open work over with `/handoff @next`."))
    elif sub == "note":
        ack(**ephemeral(add_note(req, actor, text)))
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
