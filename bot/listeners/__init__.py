"""Slack listeners, one module per feature, each with `register(app)`."""

from slack_bolt import App

from bot.listeners import approvals, checklists, escalations, events, ideas, metrics, shifts, team

FEATURES = (team, approvals, escalations, shifts, ideas, checklists, metrics)


def register_all(app: App) -> None:
    # Bolt tries listeners in order, and reactions and messages are most of the traffic: their
    # routers come first (one `message` and one reaction listener fan out to the features).
    events.register(app)
    for feature in FEATURES:
        feature.register(app)
