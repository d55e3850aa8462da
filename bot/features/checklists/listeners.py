"""/checklist and the per-item checkboxes of posted checklist runs."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput
from bot.core.text import split_args
from bot.features.checklists import blocks, notices
from bot.features.checklists import service as checklists
from bot.slack.context import Req, ephemeral, wants_help, wants_sub_help
from bot.slack.ids import ActionId

EXAMPLE = "/checklist post daily"


def register(app: App) -> None:
    app.command("/checklist")(checklist_command)
    app.action(ActionId.CHECKLIST_ITEM)(item_clicked)


def checklist_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    args = split_args(command.get("text"))
    if wants_help(args) or wants_sub_help(args, ("post", "status", "list")):
        ack(**ephemeral(blocks.CHECKLIST_HELP))
        return
    sub = args[0].lower() if args else "status"
    if sub in ("status", "list") and len(args) <= 1:
        rows = checklists.overview(req.db, req.config, req.now)
        ack(**ephemeral("Checklists", blocks.runs_overview(rows, req.config.tz)))
        return
    if sub == "post":
        if len(args) != 2:
            raise BadInput("`/checklist post` needs the name of one checklist.", EXAMPLE)
        run = checklists.post_extra(req.db, req.config, args[1], command["user_id"], req.now)
        notices.post_extra(req.outbox, req.config, run)
        ack(**ephemeral(f"Posted the {blocks.title(run).lower()} in <#{run.channel}> (run #{run.id})."))
        return
    raise BadInput(f"`/checklist {args[0]}` is not a /checklist command.", EXAMPLE)


def item_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = Req.of(context)
    action = (body.get("actions") or [{}])[0]
    parsed = blocks.parse_item_block_id(action.get("block_id") or "")
    if parsed is None:
        raise BadInput("That checkbox does not belong to a checklist run.")
    run_id, position = parsed
    done = bool(action.get("selected_options"))
    run = checklists.toggle(req.db, run_id, position, body["user"]["id"], done, req.now)
    notices.refresh(req.outbox, req.config, run)
