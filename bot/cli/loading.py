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
    from bot.features.roles import service as roles
    from bot.slack.config_check import roles_to_seed
    from bot.slack.runtime import Runtime

    runtime = Runtime.build(settings, config, open_database(settings.database_url))
    seeded = roles_to_seed(runtime.client, config.roles)
    with transaction(runtime.session_factory) as session:
        added = roles.seed(session, seeded, datetime.now(UTC))
    if added:
        log.info("added %d role member(s) from the config", added)
    return runtime
