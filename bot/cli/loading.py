"""Loading what every subcommand needs: the settings, the team's config and an up-to-date database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.core.config import TeamConfig, load_config
from bot.core.env import Settings, load_settings

log = logging.getLogger("teambot")


def settings_and_config(*, need_slack: bool, receives_requests: bool = False) -> tuple[Settings, TeamConfig]:
    settings = load_settings()
    if need_slack:
        settings.require_slack(receives_requests=receives_requests)
    config = load_config(settings.teambot_config, settings.teambot_timezone)
    return settings, config


def prepared_runtime(settings: Settings, config: TeamConfig):  # type: ignore[no-untyped-def]
    from bot.core.db import open_database, transaction
    from bot.features.settings import service as settings_service
    from bot.slack.config_check import roles_to_seed
    from bot.slack.runtime import Runtime

    runtime = Runtime.build(settings, config, open_database(settings.database_url))
    seeded = roles_to_seed(runtime.client, config.roles)
    with transaction(runtime.session_factory) as session:
        outcome = settings_service.seed_roles(session, seeded, datetime.now(UTC))
    if outcome.added:
        log.info("added %d role member(s) from the config", outcome.added)
    if outcome.kept:
        log.info(
            "roles set in Slack keep their holders; the config file's are not applied to: %s "
            "(`teambot config export` prints the roles in force)",
            ", ".join(f"roles.{role}" for role in outcome.kept),
        )
    return runtime


def config_in_force(engine, config: TeamConfig) -> TeamConfig:  # type: ignore[no-untyped-def]
    """The config file with what was set in Slack laid over it (the channels, the chain, the
    checklists), as `teambot run` and `teambot scheduler` have it in force: a command that posts
    goes where the team said in Slack, not where the file said before."""
    from bot.core.db import make_session_factory
    from bot.features.settings import service as settings_service

    with make_session_factory(engine)() as session:
        return settings_service.overlay(config, settings_service.stored(session))
