"""/shift and /handoff, and the "Acknowledge handoff" button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput
from bot.core.text import parse_id, parse_user, rest_after, split_args
from bot.features.handoffs import service as handoffs
from bot.features.shifts import service as shifts
from bot.features.shifts.blocks import (
    HANDOFF_EXAMPLE,
    HANDOFF_HELP,
    SHIFT_HELP,
    TeamShiftStatus,
    local_time,
    shift_status,
)
from bot.slack.context import Req, check_person, ephemeral, wants_help
from bot.slack.ids import ActionId

SHIFT_EXAMPLE = "/shift who"


def register(app: App) -> None:
    app.command("/shift")(shift_command)
    app.command("/handoff")(handoff_command)
    app.action(ActionId.HANDOFF_ACK.value)(handoff_ack_clicked)


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
        ack(**ephemeral("Who is on shift", shift_status(status_of_teams(req), req.config.tz)))
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


def status_of_teams(req: Req) -> list[TeamShiftStatus]:
    result = []
    for team in req.config.team_names():
        current = shifts.on_shift(req.db, req.config, team, req.now)
        upcoming = shifts.next_occurrence(req.config, team, req.now)
        if current is None:
            label = ""
        elif current.source == "manual":
            label = "started by hand" + (f" until {local_time(current.until, req.config.tz)}" if current.until else "")
        else:
            assert current.until is not None
            label = f"{current.shift} rota until {local_time(current.until, req.config.tz)}"
        result.append(
            TeamShiftStatus(
                team=team,
                now_user=current.user if current else None,
                now_label=label,
                next_user=upcoming.person if upcoming else None,
                next_at=upcoming.start if upcoming else None,
                next_shift=upcoming.shift if upcoming else None,
            )
        )
    return result


def start_shift(req: Req, actor: str, rest: list[str]) -> str:
    if len(rest) > 1:
        raise BadInput("`/shift start` takes at most a team.", shifts.START_EXAMPLE)
    if rest:
        team = shifts.parse_team(req.config, rest[0])
        if team is None:
            raise shifts.unknown_team(req.config, rest[0], shifts.START_EXAMPLE)
    else:
        team = (shifts.teams_of(req.config, actor) or [req.config.escalation.default_team])[0]
    before, ends_at = shifts.start(req.db, req.config, team, actor, req.now)
    instead = f" (instead of <@{before.user}>)" if before is not None else ""
    until = f"until {local_time(ends_at, req.config.tz)} or " if ends_at else ""
    return f"You are on shift for {team}{instead} {until}until `/shift end`."


def add_note(req: Req, actor: str, text: str) -> str:
    args = split_args(text)
    used = 1
    team = shifts.parse_team(req.config, args[1]) if len(args) > 2 else None
    if team is not None:
        used = 2
    else:
        team = shifts.current_team_of(req.db, req.config, actor, req.now)
    if team is None:
        raise BadInput(
            "You are not on shift or in a team; name the team the note is for.",
            f"/shift note {req.config.escalation.default_team} Waiting for the customer's reply",
        )
    note = rest_after(text, used)
    if not note:
        raise BadInput("`/shift note` needs the note's text.", shifts.NOTE_EXAMPLE)
    shifts.add_note(req.db, team, actor, note, req.now)
    count = len(shifts.pending_notes(req.db, team))
    return f"Noted for the {team} shift ({count} note{'s' if count != 1 else ''}); it goes with the next handoff."


# -- /handoff -----------------------------------------------------------------------------------
def handoff_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    text = command.get("text") or ""
    args = split_args(text)
    actor = command["user_id"]
    if wants_help(args):
        ack(**ephemeral(HANDOFF_HELP))
        return
    if not args:
        raise BadInput("`/handoff` needs the person taking over.", HANDOFF_EXAMPLE)
    to_user = parse_user(args[0])
    if to_user is None:
        raise BadInput(f"`{args[0]}` is not a Slack user; mention the person taking over with @.", HANDOFF_EXAMPLE)
    if to_user == actor:
        raise BadInput("You cannot hand off to yourself; name the person taking over.", HANDOFF_EXAMPLE)
    check_person(req, to_user, HANDOFF_EXAMPLE)
    notes = rest_after(text, 1) or None
    handoff = handoffs.manual(req.db, req.config, req.outbox, actor=actor, to_user=to_user, notes=notes, now=req.now)
    carried = len(handoff.escalation_ids or [])
    current = shifts.on_shift(req.db, req.config, handoff.team, req.now)
    if current is None:
        shift = ""
    elif current.user == to_user:
        shift = f"<@{to_user}> is on shift now."
    else:
        shift = f"The shift stays with <@{current.user}>."
    ack(
        **ephemeral(
            f"Handoff #{handoff.id} to <@{to_user}> for {handoff.team} is posted; {carried} open "
            f"escalation{'s' if carried != 1 else ''} now assigned to them. {shift}".strip()
        )
    )


def handoff_ack_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    value = (body.get("actions") or [{}])[0].get("value") or ""
    number = parse_id(value)
    if number is None:
        raise BadInput("That button does not name a handoff.")
    handoff = handoffs.acknowledge(req.db, req.config, req.outbox, number, body["user"]["id"], req.now)
    req.outbox.dm(body["user"]["id"], f"You acknowledged handoff #{handoff.id}. Have a good shift!")
    ack()
