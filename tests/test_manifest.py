"""manifest.yml against the code: every Web API method teambot calls has its scopes in the
manifest, and every slash command, shortcut and event the app listens to is declared there (an app
created from the manifest would otherwise meet `missing_scope` or never receive them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.slack.ids import ShortcutId

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "bot").rglob("*.py"))

# The bot scopes each Web API method needs (api.slack.com/methods). A method missing from here
# fails the test below, so a new call brings the question of its scope with it.
SCOPES_OF_METHOD: dict[str, set[str]] = {
    "auth.test": set(),
    "chat.getPermalink": set(),
    "chat.postEphemeral": {"chat:write"},
    "chat.postMessage": {"chat:write", "chat:write.public"},  # .public: channels it was not invited to
    "chat.update": {"chat:write"},
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.open": {"im:write"},
    "conversations.replies": {"channels:history", "groups:history"},
    "files.uploadV2": {"files:write"},  # files.getUploadURLExternal and files.completeUploadExternal
    "usergroups.users.update": {"usergroups:write"},
    "users.info": {"users:read"},
    "views.open": set(),
    "views.publish": set(),
    "views.update": set(),
}
# The bot scope each subscribed event needs.
SCOPES_OF_EVENT = {
    "app_home_opened": set(),
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "reaction_added": {"reactions:read"},
    "reaction_removed": {"reactions:read"},
}
FAMILIES = "auth|chat|conversations|files|usergroups|users|views|reactions"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def _source() -> str:
    return "\n".join(path.read_text() for path in SOURCES)


def methods_called() -> set[str]:
    """Web API methods named in the code: slack-sdk's `client.users_info(…)` style calls and the
    method names the outbox queues ("chat.postMessage", "files.uploadV2", …)."""
    source = _source()
    methods = {m for m in re.findall(rf'"((?:{FAMILIES})\.[a-zA-Z]+(?:\.[a-zA-Z]+)?)"', source)}
    # On a WebClient: `client.users_info(`, `one_shot_client(…).views_open(`.
    for name in re.findall(rf"(?:client|\))\.((?:{FAMILIES})_[a-z0-9_]+)\(", source):
        family, _, rest = name.partition("_")
        if name == "files_upload_v2":
            methods.add("files.uploadV2")
            continue
        words = rest.split("_")
        if family == "usergroups" and words[0] == "users":  # usergroups_users_update
            methods.add(f"usergroups.users.{'_'.join(words[1:])}")
            continue
        methods.add(f"{family}.{words[0]}{''.join(w.title() for w in words[1:])}")
    return methods


def test_the_code_calls_the_methods_this_test_knows(manifest):
    called = methods_called()
    assert {"chat.postMessage", "files.uploadV2", "users.info", "usergroups.users.update"} <= called
    unknown = called - SCOPES_OF_METHOD.keys()
    assert not unknown, f"add these Web API methods and their scopes to SCOPES_OF_METHOD: {sorted(unknown)}"


def test_every_method_called_has_its_scopes_in_the_manifest(manifest):
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    missing = {m: sorted(SCOPES_OF_METHOD[m] - granted) for m in methods_called() if SCOPES_OF_METHOD[m] - granted}
    assert not missing, f"manifest.yml lacks scopes: {missing}"


def test_every_event_subscribed_has_its_scope_and_every_event_handled_is_subscribed(manifest):
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    subscribed = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    for event in subscribed:
        assert SCOPES_OF_EVENT[event] <= granted, event
    handled = set(re.findall(r'app\.event\("([a-z_]+)"\)', _source()))
    assert handled == {"app_home_opened", "message", "reaction_added", "reaction_removed"}
    assert {"message.channels", "message.groups"} <= subscribed  # drafts channels, public or private
    assert handled - {"message"} <= subscribed
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_every_slash_command_and_shortcut_is_declared(manifest):
    registered = set(re.findall(r'app\.command\("(/[a-z]+)"\)', _source()))
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert len(registered) >= 12
    assert registered == declared
    assert {s["callback_id"] for s in manifest["features"]["shortcuts"]} == {s.value for s in ShortcutId}
    for command in manifest["features"]["slash_commands"]:
        assert command["should_escape"] is True, command["command"]  # mentions arrive as <@U…>
        assert command["url"].endswith("/slack/events")


def test_usage_hints_name_every_sub_command_the_help_lists(manifest):
    hints = {c["command"]: c["usage_hint"] for c in manifest["features"]["slash_commands"]}
    for word in ("swap", "away"):
        assert word in hints["/shift"]
    assert "settings" in hints["/team"]
    assert "assign" in hints["/idea"]
