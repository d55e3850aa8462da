"""`teambot config export`: the configuration in force (the config file overlaid with what was set
in Slack, and the role holders as the store has them) as TOML that `teambot` accepts back."""

from __future__ import annotations

import argparse
import sys

from bot.cli.loading import settings_and_config
from bot.core.db import NO_DATABASE, database_file_missing, make_session_factory, open_database
from bot.core.errors import ConfigError
from bot.features.settings import service as settings_service


def cmd_config_export(args: argparse.Namespace) -> int:
    settings, config = settings_and_config(need_slack=False)
    if database_file_missing(settings.database_url):
        raise ConfigError(f"DATABASE_URL: {NO_DATABASE}")
    with make_session_factory(open_database(settings.database_url))() as session:
        text = settings_service.to_toml(settings_service.config_in_force(session, config))
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--output: cannot write {args.output} ({exc.strerror or exc})") from None
    else:
        sys.stdout.write(text)
    return 0
