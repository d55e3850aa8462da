"""What a running teambot holds: settings, team config, database, Slack client and the bot's identity."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.core.config import TeamConfig
from bot.core.db import make_engine, make_session_factory
from bot.core.env import Settings
from bot.slack.identity import BotIdentity

log = logging.getLogger("teambot")


@dataclass
class Runtime:
    settings: Settings
    config: TeamConfig
    engine: Engine
    session_factory: sessionmaker[Session]
    client: WebClient
    # Learned by check_token at start-up, or in the background (never inside a request).
    identity: BotIdentity = field(default=None)  # type: ignore[assignment]
    # The configuration in force at a moment: given the file's `config` and the time, the file with
    # what was set in Slack laid over it. Without one, the file's `config`.
    config_source: Callable[[TeamConfig, datetime], TeamConfig] | None = None

    def __post_init__(self) -> None:
        if self.identity is None:
            self.identity = BotIdentity(self.client)

    def current_config(self, now: datetime) -> TeamConfig:
        return self.config if self.config_source is None else self.config_source(self.config, now)

    @classmethod
    def build(cls, settings: Settings, config: TeamConfig, engine: Engine | None = None) -> Runtime:
        engine = engine or make_engine(settings.database_url)
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        client = make_client(token, settings.slack_api_url)
        return cls(settings, config, engine, make_session_factory(engine), client)

    def check_token(self) -> None:
        """Stop with one line (ConfigError) when Slack refuses the bot token; carry on, with a
        warning, when Slack cannot be asked right now (the outbox sends later)."""
        from slack_sdk.errors import SlackApiError

        from bot.core.errors import ConfigError
        from bot.outbox.webapi import slack_error

        try:
            identity = self.client.auth_test()
            self.identity.remember(identity)
            log.info("connected to Slack as %s", identity.get("user_id"))
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"):
                raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack ({error})") from None
            log.warning("auth.test failed (%s); continuing, requests will retry", error)
        except OSError as exc:
            log.warning("cannot reach the Slack Web API yet (%s); continuing", exc.__class__.__name__)


def make_client(token: str | None, base_url: str) -> WebClient:
    # Only connection errors are retried inside the SDK; 429 and 5xx are handled by the outbox,
    # which never makes a listener thread sleep.
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2)],
    )
