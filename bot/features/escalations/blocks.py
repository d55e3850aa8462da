"""Block Kit for escalations: the channel message, direct messages, the list and the modals."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.config import SEVERITIES, TeamConfig
from bot.core.text import for_display, quoted, truncate
from bot.features.escalations.models import Escalation, EscalationStatus
from bot.features.escalations.service import ESCALATE_EXAMPLE, reported_by_a_person
from bot.slack.blocks import (
    Block,
    actions,
    button,
    context,
    help_text,
    list_sections,
    mention,
    modal,
    plain_input,
    section,
)
from bot.slack.ids import ActionId, ViewId

ESCALATE_HELP = help_text(
    "/escalate",
    "send a complaint or a crisis to whoever is on shift for a team; it climbs to the lead and the "
    "strategists if nobody acknowledges it in time. `/escalate` alone opens a form; reacting with "
    "the escalation emoji or the *Escalate message* shortcut escalates a message.",
    [
        "/escalate Customer says the discount code does not work",
        ESCALATE_EXAMPLE,
        "/escalate pr crisis Journalist asking about the outage",
        "/escalate list",
        "/escalate ack 12",
        "/escalate resolve 12 Refund sent, customer happy",
        "/escalate reassign 12 @maria",
    ],
)

SEVERITY_ICON = {
    "low": ":white_circle:",
    "normal": ":large_yellow_circle:",
    "high": ":large_orange_circle:",
    "crisis": ":rotating_light:",
}


def human_duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _title(esc: Escalation) -> str:
    icon = SEVERITY_ICON.get(esc.severity, "")
    return f"{icon} *Escalation #{esc.id}* · *{esc.severity.upper()}* · team *{esc.team}*"


def _body(esc: Escalation) -> str:
    # Quoted: the reporter's words stand apart from the status lines teambot writes below them.
    return truncate(quoted(esc.text), 2500) or "_(no description)_"


def _origin(esc: Escalation) -> str:
    # An alert posted by an integration has the integration's bot id as its reporter.
    reporter = mention(esc.reporter) if reported_by_a_person(esc) else f"an integration ({esc.reporter})"
    parts = [f"Reported by {reporter} via {esc.via}"]
    if esc.source_author:
        parts.append(f"message by {mention(esc.source_author)}")
    if esc.link:
        parts.append(f"link: {for_display(esc.link)}")
    return " · ".join(parts)


def status_line(esc: Escalation) -> str:
    if esc.status == EscalationStatus.RESOLVED and esc.resolved_at is not None:
        line = f"*Resolved* by {mention(esc.resolved_by)} after {human_duration(esc.resolved_at - esc.created_at)}"
        if esc.resolution_note:
            line += f": {truncate(for_display(esc.resolution_note), 500)}"
        return line
    if esc.status == EscalationStatus.ACKNOWLEDGED and esc.acknowledged_at is not None:
        took = human_duration(esc.acknowledged_at - esc.created_at)
        return f"*Acknowledged* by {mention(esc.acknowledged_by)} after {took} · assigned to {mention(esc.assignee)}"
    return f"*Open* — waiting for acknowledgement · assigned to {mention(esc.assignee)} · level *{esc.level_name}*"


def _buttons(esc: Escalation) -> Block | None:
    if esc.status == EscalationStatus.RESOLVED:
        return None
    value = str(esc.id)
    elements = []
    if esc.status == EscalationStatus.OPEN:
        elements.append(button("Acknowledge", ActionId.ESCALATION_ACK, value, style="primary"))
    elements.append(button("Resolve", ActionId.ESCALATION_RESOLVE, value))
    elements.append(button("Reassign", ActionId.ESCALATION_REASSIGN, value))
    if esc.severity == "crisis":
        elements.append(button("Start crisis mode", ActionId.CRISIS_START, value, style="danger"))
    return actions(*elements, block_id=f"escalation:{esc.id}")


def created_text(esc: Escalation, channel: str) -> str:
    """Tells the person who escalated where it went and to whom."""
    who = f"<@{esc.assignee}>" if esc.assignee else "nobody yet (no one is on shift and the team has no lead)"
    return f"Escalation #{esc.id} ({esc.severity}, {esc.team}) is posted in <#{channel}> and assigned to {who}."


def fallback_text(esc: Escalation) -> str:
    return f"Escalation #{esc.id} ({esc.severity}, {esc.team}): {truncate(for_display(esc.text), 200)}"


def escalation_message(esc: Escalation, how_we_handle_this: Block | None = None) -> tuple[str, list[Block]]:
    """The message in the escalations channel, updated on every change; with the style guide's
    section for the escalation's team when there is one."""
    blocks: list[Block] = [section(_title(esc)), section(_body(esc)), context(_origin(esc))]
    if how_we_handle_this is not None:
        blocks.append(how_we_handle_this)
    blocks.append(section(status_line(esc)))
    buttons = _buttons(esc)
    if buttons is not None:
        blocks.append(buttons)
    return fallback_text(esc), blocks


def escalation_dm(esc: Escalation, reason: str) -> tuple[str, list[Block]]:
    """A direct message about an escalation; `reason` is our own text (why this person is told)."""
    blocks: list[Block] = [
        section(f"{reason}\n{_title(esc)}"),
        section(_body(esc)),
        context(_origin(esc)),
        section(status_line(esc)),
    ]
    if esc.status == EscalationStatus.OPEN:
        blocks.append(
            actions(
                button("Acknowledge", ActionId.ESCALATION_ACK, str(esc.id), style="primary"),
                block_id=f"escalation_dm:{esc.id}",
            )
        )
    return f"{reason} {fallback_text(esc)}", blocks


def escalation_list(escalations: list[Escalation], now: datetime) -> list[Block]:
    lines = []
    for esc in escalations:
        age = human_duration(now - esc.created_at)
        state = esc.status if esc.status != EscalationStatus.OPEN else f"open, level {esc.level_name}"
        lines.append(
            f"*#{esc.id}* {SEVERITY_ICON.get(esc.severity, '')} {esc.severity} · {esc.team} · {state} · "
            f"{mention(esc.assignee)} · {age} ago — {truncate(for_display(esc.text), 120)}"
        )
    return list_sections("*Open escalations*", lines, "Nothing is escalated right now.")


def _select(block_id: str, label: str, options: list[str], initial: str) -> Block:
    def option(value: str) -> Block:
        return {"text": {"type": "plain_text", "text": value}, "value": value}

    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "static_select",
            "action_id": "value",
            "options": [option(v) for v in options],
            "initial_option": option(initial),
        },
    }


def escalate_modal(config: TeamConfig, private_metadata: str = "") -> Block:
    blocks = [
        _select("team", "Team", config.team_names()[:100], config.escalation.default_team),
        _select("severity", "Severity", list(SEVERITIES), "normal"),
        plain_input("description", "What happened?", multiline=True, max_length=2500),
        plain_input("link", "Link (post, comment or message)", optional=True, max_length=500),
    ]
    return modal(ViewId.ESCALATE, "Escalate", blocks, submit="Escalate", private_metadata=private_metadata)


def reassign_modal(esc: Escalation) -> Block:
    blocks = [
        section(f"Reassign *escalation #{esc.id}* (now {mention(esc.assignee)}) to:"),
        {
            "type": "input",
            "block_id": "assignee",
            "label": {"type": "plain_text", "text": "New assignee"},
            "element": {"type": "users_select", "action_id": "value"},
        },
    ]
    return modal(
        ViewId.ESCALATION_REASSIGN, "Reassign escalation", blocks, submit="Reassign", private_metadata=str(esc.id)
    )
