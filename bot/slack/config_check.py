"""The config's channels and people, checked against Slack: an id that does not exist in the
workspace (a typo, the shipped example's placeholders, a channel deleted since) is named in the
log with the config key that holds it, instead of failing quietly later (a post reported as
sent that went nowhere, a role nobody can use)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.config import EXAMPLE_PLACEHOLDER_USERS, ROLES, Roles, TeamConfig, keys_naming, slack_ids
from bot.outbox.webapi import slack_error

log = logging.getLogger("teambot")

# Each lookup waits at most this long, without retries; at most MAX_LOOKUPS are made.
LOOKUP_TIMEOUT_SECONDS = 5
MAX_LOOKUPS = 300
NOT_FOUND = {"channel_not_found", "user_not_found", "user_not_visible"}


def lookup_client(client: WebClient) -> WebClient:
    """A client for these lookups only: short timeout, no retries (the check is advice, not work)."""
    return WebClient(token=client.token, base_url=client.base_url, timeout=LOOKUP_TIMEOUT_SECONDS)


def missing_ids(client: WebClient, ids: Iterable[tuple[str, str]]) -> tuple[dict[str, str], str | None]:
    """Of (kind, id) pairs, those Slack says do not exist, with Slack's error; and, when the check
    had to stop (Slack unreachable, a scope missing), why."""
    missing: dict[str, str] = {}
    for count, (kind, slack_id) in enumerate(dict.fromkeys(ids)):
        if count >= MAX_LOOKUPS:
            return missing, f"only the first {MAX_LOOKUPS} ids were checked"
        try:
            if kind == "channel":
                client.conversations_info(channel=slack_id)
            else:
                user = client.users_info(user=slack_id).get("user") or {}
                if user.get("deleted"):
                    missing[slack_id] = "deactivated"
        except SlackApiError as exc:
            error = slack_error(exc)
            if error not in NOT_FOUND:
                return missing, f"Slack answered {error}"
            missing[slack_id] = error
        except OSError as exc:
            return missing, f"Slack cannot be reached: {exc.__class__.__name__}"
    return missing, None


def check_config(client: WebClient, config: TeamConfig) -> int:
    """Log one line per configured id that does not exist; returns how many."""
    named = slack_ids(config)
    missing, stopped = missing_ids(lookup_client(client), ((kind, slack_id) for _key, kind, slack_id in named))
    for slack_id, error in missing.items():
        kind = "channel" if slack_id[0] in "CGD" else "person"
        placeholder = " (the example config's placeholder)" if slack_id in EXAMPLE_PLACEHOLDER_USERS else ""
        log.error(
            "config: %s = %s: no such %s in this Slack workspace%s (%s); put the right id there",
            ", ".join(keys_naming(config, slack_id)),
            slack_id,
            kind,
            placeholder,
            error,
        )
    if stopped:
        log.warning("config: could not check every channel and person against Slack (%s)", stopped)
    return len(missing)


def check_config_in_background(client: WebClient, config: TeamConfig) -> threading.Thread:
    thread = threading.Thread(target=check_config, args=(client, config), name="teambot-config-check", daemon=True)
    thread.start()
    return thread


def roles_to_seed(client: WebClient, roles: Roles, *, log_refusal: Callable[[str], None] = log.error) -> Roles:
    """The config's role members without the shipped example's placeholder ids, unless Slack
    knows them as people: a copied example must not make made-up ids role members for good (the
    seed only ever adds). Each one refused is said, with its key."""
    placeholders = {user for role in ROLES for user in getattr(roles, role) if user in EXAMPLE_PLACEHOLDER_USERS}
    if not placeholders:
        return roles
    missing, stopped = missing_ids(lookup_client(client), (("user", user) for user in sorted(placeholders)))
    refused = set(missing) if stopped is None else placeholders
    if not refused:
        return roles
    for role in ROLES:
        for user in getattr(roles, role):
            if user in refused:
                log_refusal(
                    f"config: roles.{role} = {user} is a placeholder from the example config, not a person in this "
                    f"workspace ({missing.get(user) or stopped}): not added; put your team's member ids in [roles]"
                )
    return roles.model_copy(update={role: [u for u in getattr(roles, role) if u not in refused] for role in ROLES})
