"""Alerts from listening tools: which messages in the alerts channel are alerts, and which team and
severity each gets from `[[alert_rules]]` (first match wins; none configured: every alert is a
normal escalation for the default team).

Rules are RE2 expressions (checked at start-up): matching takes time linear in the text, and the
text matched is capped, so no alert can stall a request."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import re2

from bot.core.config import AlertRule, TeamConfig
from bot.core.text import texts_within, truncate

# What is searched: the message's text and its attachments' and blocks' text, cut to this length
# (an alert worth escalating says so well before 20,000 characters).
MAX_MATCHED_TEXT = 20_000
# What the escalation keeps of it.
MAX_ESCALATION_TEXT = 3_000
# Message subtypes that are new top-level posts; edits, deletions, joins, thread broadcasts and
# the rest never open an escalation, so an alert opens one once however it changes later.
NEW_POST_SUBTYPES = (None, "bot_message", "file_share")


@dataclass(frozen=True)
class Decision:
    team: str
    severity: str


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


def is_new_alert(config: TeamConfig, event: dict[str, Any], own_ids: Iterable[str | None]) -> bool:
    """A top-level post in the alerts channel by a person or an integration, not by teambot."""
    alerts = config.channels.alerts
    if alerts is None or event.get("channel") != alerts:
        return False
    if event.get("subtype") not in NEW_POST_SUBTYPES:
        return False
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != event.get("ts"):
        return False
    own = {i for i in own_ids if i}
    return not ({event.get("user"), event.get("bot_id")} & own)


def alert_text(event: dict[str, Any]) -> str:
    """The alert's text: the message's own, then its attachments' (integrations such as listening
    tools often post only attachments), then its blocks', each once, capped for matching."""
    parts: list[str] = []
    seen: set[str] = set()
    for text in [
        event.get("text") or "",
        *texts_within(event.get("attachments") or []),
        *texts_within(event.get("blocks") or []),
    ]:
        text = text.strip()
        if text and text not in seen:
            seen.add(text)
            parts.append(text)
        if sum(len(p) for p in parts) >= MAX_MATCHED_TEXT:
            break
    return "\n".join(parts)[:MAX_MATCHED_TEXT]


def decide(config: TeamConfig, text: str) -> Decision | None:
    """The team and severity for an alert, or None when a rule says `ignore` or no rule matches
    (with no rules at all, every alert is a normal escalation for the default team)."""
    default_team = config.escalation.default_team
    if not config.alert_rules:
        return Decision(default_team, "normal")
    rule = first_match(config.alert_rules, text)
    if rule is None or rule.severity == "ignore":
        return None
    return Decision(rule.team or default_team, rule.severity)


def first_match(rules: Iterable[AlertRule], text: str) -> AlertRule | None:
    text = text[:MAX_MATCHED_TEXT]
    return next((rule for rule in rules if _compiled(rule.match).search(text)), None)


def escalation_text(text: str) -> str:
    return truncate(text, MAX_ESCALATION_TEXT) or "_(alert without text)_"


def reporter_of(event: dict[str, Any]) -> str:
    """Who posted the alert: the person, else the integration's bot id."""
    return str(event.get("user") or event.get("bot_id") or "alerts")[:32]
