"""What a signed request must look like before Bolt and the listeners read it.

Bolt and the listeners read Slack's payloads as Slack sends them (`body["event"]["item"]["ts"]`);
a signed body of another shape (a leaked signing secret, a test tool, a proxy that rewrote it)
would otherwise fail deep inside them with a traceback and a 500. Each request kind teambot
answers is checked here, in one pass, against the fields teambot and Bolt read: a field may be
missing, but one that is present has the type Slack gives it.

A schema is a type (`str`, `int`, `bool`, `dict`, `list`), `None` (JSON null), a tuple of
alternatives, a dict of fields (a name ending in "!" is required), `[schema]` (a list of),
`MapOf(schema)` (an object whose every value matches), or `Text(n)` (a string of at most n
characters: Slack's ids, timestamps and emoji names are short, and the store's columns for them
are sized so; a longer one is no request of Slack's and would fail to be saved)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class MapOf:
    values: Any


@dataclass(frozen=True)
class Text:
    max_length: int


ID = Text(32)  # a user, channel, bot or team id, a message's ts (the store keeps 32 characters)
EMOJI = Text(100)
EVENT_ID = Text(64)


_TYPE_NAMES = {str: "a string", int: "a number", bool: "true or false", dict: "an object", list: "a list"}

_MESSAGE = {
    "type": str,
    "subtype": str,
    "ts": ID,
    "thread_ts": (ID, None),
    "user": ID,
    "bot_id": (ID, None),
    "text": str,
    "channel": ID,
    "blocks": [dict],
    "files": [dict],
    "attachments": [dict],
    "metadata": (dict, None),
    "edited": dict,
}
_REACTION_EVENT = {
    "type!": str,
    "user!": ID,
    "reaction!": EMOJI,
    "item!": {"type!": str, "channel": ID, "ts": ID},
    "item_user": (ID, None),
    "event_ts": str,
}
_MESSAGE_EVENT = {
    **_MESSAGE,
    "type!": str,
    "channel!": ID,
    "ts!": ID,
    "channel_type": str,
    "message": _MESSAGE,
    "previous_message": _MESSAGE,
}
# Other event types are acknowledged and not read (see middleware._not_ours): only their type.
_EVENTS = {"reaction_added": _REACTION_EVENT, "reaction_removed": _REACTION_EVENT, "message": _MESSAGE_EVENT}

_TOP = {
    # Read by Bolt for every request, whatever its kind.
    "type": str,
    "team": (str, dict, None),
    "team_id": (str, None),
    "enterprise": (str, dict, None),
    "enterprise_id": (str, None),
    "user": (str, dict, None),
    "channel": (str, dict, None),
    "event": dict,
    "view": dict,
    "message": dict,
    "previous_message": dict,
    "item": dict,
    "authorizations": [{"team_id": (str, None), "user_id": (str, None), "enterprise_id": (str, None)}],
    "response_urls": [dict],
    "function_data": dict,
    "assistant_thread": dict,
}
_EVENT_CALLBACK = {"event_id!": EVENT_ID, "event!": {"type!": str}}
_ELEMENT_STATE = {
    "type": str,
    "value": (str, None),
    "selected_option": ({"value": str}, None),
    "selected_options": [{"value": str}],
    "selected_user": (ID, None),
    "selected_users": [ID],
    "selected_conversation": (ID, None),
    "selected_channel": (ID, None),
    "selected_date": (str, None),
    "selected_time": (str, None),
}
_VIEW = {
    "id": str,
    "callback_id": str,
    "private_metadata": str,
    "blocks": [{"type": str, "block_id": str}],
    "state": {"values!": MapOf(MapOf(_ELEMENT_STATE))},
}
_PERSON = {"id!": ID, "team_id": ID}
_INTERACTIVE = {
    "block_actions": {
        "user!": _PERSON,
        "channel": ({"id": ID}, None),
        "message": _MESSAGE,
        "container": dict,
        "view": _VIEW,
        "trigger_id": str,
        "actions!": [{"action_id!": str, "block_id": str, "value": str, "type": str, **_ELEMENT_STATE}],
    },
    "view_submission": {
        "user!": _PERSON,
        "trigger_id": str,
        "view!": {**_VIEW, "callback_id!": str, "state!": _VIEW["state"]},
    },
    "view_closed": {"user!": _PERSON, "view!": _VIEW},
    "message_action": {
        "user!": _PERSON,
        "callback_id!": str,
        "channel": ({"id!": ID}, None),
        "message!": {**_MESSAGE, "ts!": ID},
        "trigger_id": str,
    },
    "shortcut": {"user!": _PERSON, "callback_id!": str, "trigger_id": str},
    "url_verification": {"challenge!": str},
}
_COMMAND = {"command!": str, "user_id!": ID, "channel_id!": ID, "text": str, "trigger_id": str}


def parse(raw: str, content_type: str) -> dict[str, Any] | None:
    """The body as Bolt reads it (JSON, or a form, or a form's `payload` field holding JSON);
    None when it is none of these or not an object."""
    if not raw:
        return {}
    try:
        if content_type.split(";")[0].strip() == "application/json" or raw.startswith("{"):
            parsed = json.loads(raw)
        elif "payload" in raw:
            fields = dict(parse_qsl(raw, keep_blank_values=True))
            parsed = json.loads(fields["payload"]) if "payload" in fields else {}
        else:
            parsed = dict(parse_qsl(raw, keep_blank_values=True))
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return None
    return parsed if isinstance(parsed, dict) else None


def problem(body: dict[str, Any]) -> str | None:
    """What is wrong with a parsed body's shape (e.g. "event.item: expected an object, got a
    string"), or None when teambot and Bolt can read it."""
    found = _check(body, _TOP, "body")
    if found:
        return found
    kind = body.get("type")
    if "command" in body and kind is None:
        return _check(body, _COMMAND, "command")
    if kind == "event_callback":
        found = _check(body, _EVENT_CALLBACK, "body")
        if found:
            return found
        event = body["event"]
        return _check(event, _EVENTS.get(event["type"], {}), "event")
    if kind in _INTERACTIVE:
        return _check(body, _INTERACTIVE[kind], kind)
    return None


def _check(value: Any, schema: Any, where: str) -> str | None:
    if isinstance(schema, tuple):
        if any(_check(value, alternative, where) is None for alternative in schema):
            return None
        expected = " or ".join(_describe(alternative) for alternative in schema)
        return f"{where}: expected {expected}, got {_describe_value(value)}"
    if schema is None:
        return None if value is None else f"{where}: expected null, got {_describe_value(value)}"
    if isinstance(schema, Text):
        if isinstance(value, str) and len(value) <= schema.max_length:
            return None
        got = f"one of {len(value)}" if isinstance(value, str) else _describe_value(value)
        return f"{where}: expected {_describe(schema)}, got {got}"
    if isinstance(schema, type):
        # bool is an int in Python, not in JSON.
        if isinstance(value, schema) and not (schema is int and isinstance(value, bool)):
            return None
        return f"{where}: expected {_describe(schema)}, got {_describe_value(value)}"
    if isinstance(schema, list):
        if not isinstance(value, list):
            return f"{where}: expected a list, got {_describe_value(value)}"
        for index, item in enumerate(value):
            found = _check(item, schema[0], f"{where}[{index}]")
            if found:
                return found
        return None
    if isinstance(schema, MapOf):
        if not isinstance(value, dict):
            return f"{where}: expected an object, got {_describe_value(value)}"
        for key, item in value.items():
            found = _check(item, schema.values, f"{where}.{key}")
            if found:
                return found
        return None
    if not isinstance(value, dict):
        return f"{where}: expected an object, got {_describe_value(value)}"
    for name, field_schema in schema.items():
        key = name.removesuffix("!")
        if key not in value:
            if name.endswith("!"):
                return f"{where}.{key}: missing"
            continue
        found = _check(value[key], field_schema, f"{where}.{key}")
        if found:
            return found
    return None


def _describe(schema: Any) -> str:
    if schema is None:
        return "null"
    if isinstance(schema, Text):
        return f"a string of at most {schema.max_length} characters"
    if isinstance(schema, type):
        return _TYPE_NAMES.get(schema, schema.__name__)
    if isinstance(schema, list):
        return "a list"
    return "an object"


def _describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return _TYPE_NAMES.get(type(value), type(value).__name__)
