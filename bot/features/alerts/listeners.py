"""Messages in the alerts channel: each new top-level alert that a rule keeps opens an escalation."""

from __future__ import annotations

import logging
from typing import Any

from bot.core.errors import Conflict
from bot.features.alerts import service as alerts
from bot.features.escalations import notices as escalation_notices
from bot.features.escalations import service as escalations
from bot.features.escalations.models import EscalationVia
from bot.slack.context import Req

log = logging.getLogger(__name__)


def on_message(req: Req, event: dict[str, Any]) -> None:
    if not alerts.is_new_alert(req.config, event, (req.bot_user_id, req.bot_id)):
        return
    decision = alerts.decide(req.config, alerts.alert_text(event))
    if decision is None:
        return
    channel, ts = event["channel"], event.get("ts")
    if not ts:
        return
    try:
        outcome = escalations.create(
            req.db,
            req.config,
            team=decision.team,
            severity=decision.severity,
            text=alerts.escalation_text(alerts.alert_text(event)),
            link=req.lookup.permalink(channel, ts),
            reporter=alerts.reporter_of(event),
            via=EscalationVia.ALERT,
            now=req.now,
            source=(channel, ts),
            source_author=event.get("user"),
        )
    except Conflict:
        return  # this alert already has its escalation (a retry or a second delivery)
    escalation_notices.announce(req.config, req.outbox, outcome)
    esc = outcome.escalation
    log.info("alert %s:%s opened escalation #%s (%s, %s)", channel, ts, esc.id, decision.team, decision.severity)
