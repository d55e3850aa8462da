"""Messages about checklist runs: a run's message with its checkboxes (updated on every tick) and
the nudge in its thread."""

from __future__ import annotations

from bot.core.config import TeamConfig
from bot.features.checklists import blocks as ui
from bot.features.checklists.models import ChecklistRun
from bot.features.checklists.service import Nudge, run_key
from bot.outbox.queue import Outbox


def post_scheduled(outbox: Outbox, config: TeamConfig, run: ChecklistRun) -> None:
    """A scheduled run's message, once per checklist and due wall time."""
    _post(outbox, config, run, dedupe=f"checklist:{run.checklist}:{run.due_wall}")


def post_extra(outbox: Outbox, config: TeamConfig, run: ChecklistRun) -> None:
    _post(outbox, config, run, dedupe=f"{run_key(run.id)}:post")


def _post(outbox: Outbox, config: TeamConfig, run: ChecklistRun, dedupe: str) -> None:
    text, blocks = ui.run_message(run, config.tz)
    outbox.post(run.channel, text, blocks, key=run_key(run.id), dedupe=dedupe)


def refresh(outbox: Outbox, config: TeamConfig, run: ChecklistRun) -> None:
    text, blocks = ui.run_message(run, config.tz)
    outbox.update(run_key(run.id), text, blocks)


def nudge(outbox: Outbox, nudge: Nudge) -> None:
    run = nudge.run
    outbox.post(run.channel, ui.nudge_message(run), thread_ts=nudge.thread_ts, dedupe=f"{run_key(run.id)}:nudge")
