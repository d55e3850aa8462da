"""Process settings from the environment: tokens, the database URL, where the config file is."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import (
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.config import check_timezone
from bot.core.errors import ConfigError

MANIFEST_HINT = "create the Slack app from manifest.yml (see README) and copy its tokens"


class Settings(BaseSettings):
    """Process settings from the environment."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///teambot.db"
    teambot_config: Path = Path("config/teambot.toml")
    teambot_timezone: str | None = None
    # The secret in the calendar feed's address (GET /calendar.ics?token=…); no feed without it.
    teambot_calendar_token: SecretStr | None = None

    @field_validator("teambot_timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        return check_timezone(value) if value else None

    @field_validator("slack_api_url")
    @classmethod
    def _web_api_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError(f"{value!r} is not an http(s) URL like https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None and bool(self.slack_app_token.get_secret_value())

    def require_slack(self, *, receives_requests: bool) -> None:
        """Stop with one line when a token the command needs is missing or malformed: every command
        that talks to Slack needs the bot token; only one that receives Slack's requests (`run`)
        needs the signing secret (HTTP mode) or the app token (Socket Mode)."""
        token = self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""
        if not token:
            raise ConfigError(f"SLACK_BOT_TOKEN is not set: {MANIFEST_HINT}")
        if not token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if not receives_requests:
            return
        if self.socket_mode:
            if not self.slack_app_token.get_secret_value().startswith("xapp-"):  # type: ignore[union-attr]
                raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        elif not (self.slack_signing_secret and self.slack_signing_secret.get_secret_value()):
            raise ConfigError(
                f"SLACK_SIGNING_SECRET is not set (needed in HTTP mode; or set SLACK_APP_TOKEN): {MANIFEST_HINT}"
            )


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "environment"
        raise ConfigError(f"{name}: {first['msg'].removeprefix('Value error, ')}") from None
