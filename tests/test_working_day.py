"""One working day of a social-media team, end to end through a real `teambot run` in HTTP mode:
signed requests to /slack/events, the Web API answered by the fake Slack, and the state read back
with `teambot export --format json` and compared with the documented export shape at each step."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy.orm import Session

from bot.core.db import make_engine
from bot.outbox import history
from tests.driver import signed_headers
from tests.fake_slack import Call, FakeSlack, start_fake_slack
from tests.test_http_server import CONFIG as SERVER_CONFIG
from tests.test_http_server import BotProcess, bot_env, command_body, free_port, run_to_exit, running

pytestmark = pytest.mark.slow

DRAFTS, ESCALATIONS, IDEAS, SUPPORT = "C0DRAFTS", "C0ESCALATE", "C0IDEAS", "C0SUPPORT"
AUTHOR, CONTENT, STRAT, COMMUNITY = "U0ANNA", "U0CONTENT", "U0STRAT", "U0COMMUNITY"
LEAD, BEN, VOTER = "U0LEAD", "U0BEN", "U0VOTER"

# The running-process tests' configuration, with a community manager, a team and an account.
CONFIG = (
    SERVER_CONFIG
    + """community_manager = ["U0COMMUNITY"]

[teams.support]
lead = "U0LEAD"
members = ["U0ANNA", "U0BEN"]
channel = "C0SUPPORT"

[[accounts]]
name = "instagram"
network = "instagram"
"""
)

DRAFT_STATUSES = {
    "pending",
    "approved",
    "rejected",
    "changes_requested",
    "withdrawn",
    "expired",
    "on_hold",
    "published",
}
VIAS = {"reaction", "button", "command", "edit", "schedule"}


# -- talking to the process the way Slack does ------------------------------------------------------
class Slack:
    def __init__(self, bot: BotProcess, fake: FakeSlack, env: dict[str, str]):
        self.bot, self.fake, self.env = bot, fake, env
        self._ids = iter(range(1, 10_000))

    def command(self, name: str, text: str = "", *, user: str) -> dict[str, Any]:
        body = command_body(name, text, user=user)
        status, answer = self.bot.post(body, signed_headers(body))
        assert status == 200, answer
        return json.loads(answer) if answer else {}

    def event(self, event: dict[str, Any]) -> None:
        payload = {
            "token": "legacy",
            "team_id": "T0TEAM",
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": f"EvDAY{next(self._ids):06d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0TEAM", "user_id": "UBOT", "is_bot": True}],
            "event": event,
        }
        body = json.dumps(payload)
        assert self.bot.post(body, signed_headers(body, content_type="application/json"))[0] == 200

    def reaction(self, user: str, emoji: str, channel: str, ts: str, item_user: str) -> None:
        self.event(
            {
                "type": "reaction_added",
                "user": user,
                "reaction": emoji,
                "item_user": item_user,
                "item": {"type": "message", "channel": channel, "ts": ts},
                "event_ts": f"{time.time():.6f}",
            }
        )

    def interactive(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return self.bot.post(body, signed_headers(body))

    def click(self, message: Call, action_id: str, *, user: str) -> None:
        """Clicks the button `action_id` on a message the bot sent, with the value it carries."""
        (button,) = [e for e in _elements(message) if e.get("action_id") == action_id]
        channel = message.channel or ""
        ts = message.params.get("ts") or "1700000000.000001"
        status, answer = self.interactive(
            {
                "type": "block_actions",
                "team": {"id": "T0TEAM"},
                "user": {"id": user, "team_id": "T0TEAM"},
                "api_app_id": "A0APP",
                "trigger_id": f"trigger-{next(self._ids)}",
                "channel": {"id": channel},
                "container": {"type": "message", "message_ts": ts, "channel_id": channel},
                "message": {"ts": ts, "type": "message", "text": message.text, "blocks": message.blocks},
                "response_url": "https://hooks.slack.test/actions/1",
                "actions": [
                    {
                        "action_id": action_id,
                        "block_id": button.get("block_id") or "auto",
                        "value": button.get("value", ""),
                        "type": "button",
                        "action_ts": f"{time.time():.6f}",
                    }
                ],
            }
        )
        assert status == 200, answer

    def submit(self, view: dict[str, Any], values: dict[str, Any], *, user: str) -> tuple[int, str]:
        """Submits a modal the bot opened, as Slack sends it back: its callback id and metadata."""
        return self.interactive(
            {
                "type": "view_submission",
                "team": {"id": "T0TEAM"},
                "user": {"id": user, "team_id": "T0TEAM"},
                "api_app_id": "A0APP",
                "trigger_id": f"trigger-{next(self._ids)}",
                "view": {
                    "id": "V0VIEW",
                    "type": "modal",
                    "callback_id": view["callback_id"],
                    "private_metadata": view.get("private_metadata", ""),
                    "blocks": view["blocks"],
                    "state": {"values": values},
                },
            }
        )

    def export(self) -> dict[str, Any]:
        result = run_to_exit(self.env, "export", "--format", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def wait_for(self, what: Callable[[], list[Call]], description: str, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = what()
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"never sent: {description}\n{self.fake.everything_sent()[-3000:]}")


def _keys_of_message(env: dict[str, str], channel: str, ts: str) -> list[str]:
    """The keys under which the running teambot recorded its message at (channel, ts)."""
    engine = make_engine(env["DATABASE_URL"])
    try:
        with Session(engine) as session:
            return history.keys_of_message(session, channel, ts, "%")
    finally:
        engine.dispose()


def _elements(call: Call) -> list[dict[str, Any]]:
    found = []
    for block in call.blocks:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if isinstance(element, dict):
                found.append({**element, "block_id": block.get("block_id")})
    return found


def _homes(fake: FakeSlack, user: str) -> list[Call]:
    return [c for c in fake.of("views.publish") if c.params.get("user_id") == user]


def _has_button(call: Call, action_id: str) -> bool:
    return any(e.get("action_id") == action_id for e in _elements(call))


# -- the export shape ---------------------------------------------------------------------------------
def _iso(value: Any) -> datetime:
    assert isinstance(value, str), value
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None, f"{value} has no offset"
    return moment


def _iso_or_none(value: Any) -> None:
    if value is not None:
        _iso(value)


def _check_draft(draft: dict[str, Any]) -> None:
    keys = ("id", "channel", "ts", "author", "status", "accounts", "planned_at", "publications", "steps", "history")
    for key in keys:
        assert key in draft, key
    assert isinstance(draft["id"], int) and isinstance(draft["channel"], str) and isinstance(draft["ts"], str)
    assert draft["status"] in DRAFT_STATUSES
    assert isinstance(draft["accounts"], list) and all(isinstance(a, str) for a in draft["accounts"])
    _iso_or_none(draft["planned_at"])
    for publication in draft["publications"]:
        assert set(publication) >= {"account", "by", "at", "url"}
        _iso(publication["at"])
    for step in draft["steps"]:
        assert set(step) >= {"role", "approved_by", "approved_at"}
        _iso_or_none(step["approved_at"])
    for entry in draft["history"]:
        assert set(entry) >= {"action", "by", "at", "via", "step", "note"}
        _iso(entry["at"])
        assert entry["via"] in VIAS, entry


def _check_escalation(escalation: dict[str, Any]) -> None:
    keys = ("id", "team", "severity", "status", "assignee", "level", "created_at", "acknowledged_at", "resolved_at")
    for key in keys:
        assert key in escalation, key
    assert escalation["status"] in {"open", "acknowledged", "resolved"}
    assert isinstance(escalation["level"], str)
    _iso(escalation["created_at"])
    _iso_or_none(escalation["acknowledged_at"])
    _iso_or_none(escalation["resolved_at"])


def _check_handoff(handoff: dict[str, Any]) -> None:
    for key in ("id", "team", "from_user", "to_user", "created_at", "acknowledged_at"):
        assert key in handoff, key
    _iso(handoff["created_at"])
    _iso_or_none(handoff["acknowledged_at"])


def _check_idea(idea: dict[str, Any]) -> None:
    for key in ("id", "author", "submitted_by", "text", "votes", "status"):
        assert key in idea, key
    assert isinstance(idea["votes"], int) and idea["status"] in {"open", "accepted", "declined"}


def _check(export: dict[str, Any]) -> dict[str, Any]:
    keys = ("drafts", "escalations", "handoffs", "ideas", "checklist_runs", "digests", "calendar_notes")
    for key in (*keys, "crises", "reports", "shift_overrides"):
        assert isinstance(export.get(key), list), key
    for draft in export["drafts"]:
        _check_draft(draft)
    for escalation in export["escalations"]:
        _check_escalation(escalation)
    for handoff in export["handoffs"]:
        _check_handoff(handoff)
    for idea in export["ideas"]:
        _check_idea(idea)
    return export


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slack]:
    fake = start_fake_slack()
    tmp_path: Path = tmp_path_factory.mktemp("day")
    env = bot_env(tmp_path, f"sqlite:///{tmp_path / 'teambot.db'}", fake.url, config=CONFIG)
    port = free_port()
    with running(["run", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "bot.log", port) as bot:
        bot.wait_healthy()
        yield Slack(bot, fake, env)
        assert "Traceback" not in bot.output(), bot.output()


def test_a_working_day(day: Slack) -> None:
    fake = day.fake

    # 1. A draft in the drafts channel: the status message in its thread names the chain.
    ts = f"{int(time.time())}.000100"
    day.event(
        {
            "type": "message",
            "channel": DRAFTS,
            "channel_type": "channel",
            "user": AUTHOR,
            "text": "Winter is here, and so is our new collection",
            "ts": ts,
            "event_ts": ts,
        }
    )
    (status,) = day.wait_for(lambda: [c for c in fake.posts(DRAFTS) if c.params.get("thread_ts") == ts], "status")
    assert "content_manager" in status.all_text().lower().replace(" ", "_")
    (draft,) = _check(day.export())["drafts"]
    assert (draft["channel"], draft["ts"], draft["author"], draft["status"]) == (DRAFTS, ts, AUTHOR, "pending")
    assert [s["role"] for s in draft["steps"]] == ["content_manager", "strategist"]
    assert all(s["approved_by"] is None and s["approved_at"] is None for s in draft["steps"])
    draft_id = draft["id"]
    # The strategist looks at their Home tab: nothing waits for them yet.
    day.event({"type": "app_home_opened", "user": STRAT, "channel": "D0STRAT", "tab": "home", "event_ts": ts})
    (first,) = day.wait_for(lambda: _homes(fake, STRAT), "the strategist's Home tab")
    assert "No draft waits for you." in first.all_text()

    # 2. The content manager approves with a reaction; the strategist is told it is their turn.
    day.reaction(CONTENT, "white_check_mark", DRAFTS, ts, AUTHOR)
    day.wait_for(lambda: [c for c in fake.calls if STRAT in c.all_text() and c.method != "views.publish"], "next step")
    draft = _check(day.export())["drafts"][0]
    assert draft["status"] == "pending"
    assert (draft["steps"][0]["approved_by"], draft["steps"][1]["approved_by"]) == (CONTENT, None)
    _iso(draft["steps"][0]["approved_at"])
    last = draft["history"][-1]
    assert (last["action"], last["by"], last["via"]) == ("approved", CONTENT, "reaction")
    # `step` is the number of the step taken, counted from 1 along `steps`.
    assert draft["steps"][last["step"] - 1]["role"] == "content_manager"
    # A change that concerns the strategist republishes their Home tab with the draft waiting there.
    (again,) = day.wait_for(lambda: _homes(fake, STRAT)[1:], "the strategist's Home tab again")
    assert "No draft waits for you." not in again.all_text() and "Winter is here" in again.all_text()

    # 3. The strategist approves with /approve: the draft is approved, author and community told.
    answer = day.command("/approve", f"{draft_id} looks great", user=STRAT)
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    draft = _check(day.export())["drafts"][0]
    assert draft["status"] == "approved"
    assert draft["steps"][1]["approved_by"] == STRAT
    last = draft["history"][-1]
    assert (last["action"], last["by"], last["via"], last["note"]) == ("approved", STRAT, "command", "looks great")
    assert draft["steps"][last["step"] - 1]["role"] == "strategist"
    in_thread = day.wait_for(
        lambda: [c for c in fake.posts(DRAFTS) if c.params.get("thread_ts") == ts and "approved" in c.text.lower()],
        "approved in the thread",
    )
    told = "\n".join(c.all_text() for c in in_thread)
    assert f"<@{AUTHOR}>" in told and f"<@{COMMUNITY}>" in told

    # 4. Planned with /calendar plan for tomorrow morning.
    answer = day.command("/calendar", f"plan #{draft_id} instagram tomorrow 10:00", user=CONTENT)
    draft = _check(day.export())["drafts"][0]
    assert draft["accounts"] == ["instagram"], answer
    planned = _iso(draft["planned_at"])
    assert planned > datetime.now(planned.tzinfo)
    assert draft["status"] == "approved"  # re-planning on the same chain keeps approvals

    # 5. Mark published: the button on the bot's message opens a modal asking each account's URL.
    with_button = day.wait_for(
        lambda: [c for c in fake.calls if c.method.startswith("chat.") and _has_button(c, "calendar_mark_published")],
        "a Mark published button",
    )
    day.click(with_button[-1], "calendar_mark_published", user=COMMUNITY)
    (opened,) = day.wait_for(lambda: fake.of("views.open"), "the Mark published modal")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    url_blocks = [b["block_id"] for b in view["blocks"] if b.get("type") == "input"]
    assert url_blocks == ["url:instagram"]
    element = next(b["element"] for b in view["blocks"] if b.get("block_id") == "url:instagram")
    values = {
        "url:instagram": {element["action_id"]: {"type": "plain_text_input", "value": "https://instagram.com/p/winter"}}
    }
    status_code, body = day.submit(view, values, user=COMMUNITY)
    assert status_code == 200 and "errors" not in body, body
    draft = _check(day.export())["drafts"][0]
    assert draft["status"] == "published"
    (publication,) = draft["publications"]
    assert (publication["account"], publication["by"], publication["url"]) == (
        "instagram",
        COMMUNITY,
        "https://instagram.com/p/winter",
    )
    last = draft["history"][-1]
    assert (last["action"], last["by"], last["via"], last["note"]) == ("published", COMMUNITY, "button", "instagram")
    # The double-post guard: marking it again changes nothing and says who published it.
    again = day.command("/calendar", f"published #{draft_id} instagram", user=STRAT)
    assert f"already marked published by <@{COMMUNITY}>" in json.dumps(again)
    assert len(day.export()["drafts"][0]["publications"]) == 1
    planned_entry = next(h for h in draft["history"] if h["action"] == "planned")
    assert (planned_entry["by"], planned_entry["via"]) == (CONTENT, "command")

    # 6. An escalation: posted in the escalations channel with Acknowledge, the lead told by DM.
    answer = day.command("/escalate", "high Angry customer thread on instagram", user=BEN)
    (escalation,) = _check(day.export())["escalations"]
    assert (escalation["team"], escalation["severity"], escalation["status"]) == ("support", "high", "open")
    assert escalation["assignee"] == LEAD and escalation["level"] == "lead"
    assert escalation["acknowledged_at"] is None and escalation["resolved_at"] is None
    (posted,) = day.wait_for(
        lambda: [c for c in fake.posts(ESCALATIONS) if _has_button(c, "escalation_ack")], "escalation post"
    )
    assert f"#{escalation['id']}" in posted.all_text()
    assert {"escalation_ack", "escalation_resolve", "escalation_reassign"} <= {
        e.get("action_id") for e in _elements(posted)
    }
    (dm,) = day.wait_for(lambda: fake.posts(LEAD), "the assignee's direct message")
    assert "Angry customer thread" in dm.all_text()
    # Any member of the team may acknowledge, and becomes the assignee.
    day.click(posted, "escalation_ack", user=AUTHOR)
    (escalation,) = _check(day.export())["escalations"]
    assert (escalation["status"], escalation["assignee"]) == ("acknowledged", AUTHOR)
    assert _iso(escalation["acknowledged_at"]) >= _iso(escalation["created_at"])

    # 7. A handoff to Ben, acknowledged with the button he is sent.
    answer = day.command("/handoff", f"<@{BEN}|ben> Watch the instagram thread", user=AUTHOR)
    (handoff,) = _check(day.export())["handoffs"]
    assert (handoff["team"], handoff["from_user"], handoff["to_user"]) == ("support", AUTHOR, BEN), answer
    assert handoff["acknowledged_at"] is None
    # The outgoing person's unresolved escalation goes to the incoming one.
    (escalation,) = _check(day.export())["escalations"]
    assert (escalation["status"], escalation["assignee"]) == ("acknowledged", BEN)
    day.wait_for(lambda: [c for c in fake.posts(SUPPORT) if "Watch the instagram thread" in c.all_text()], "post")
    (sent,) = day.wait_for(
        lambda: [c for c in fake.posts(BEN) if _has_button(c, "handoff_ack")], "the Acknowledge handoff button"
    )
    day.click(sent, "handoff_ack", user=BEN)
    (handoff,) = _check(day.export())["handoffs"]
    assert _iso(handoff["acknowledged_at"]) >= _iso(handoff["created_at"])

    # 8. An idea, posted in the ideas channel and voted on with +1 (the author's own not counted).
    day.command("/idea", "A behind-the-scenes reel of the winter shoot", user=BEN)
    (idea_post,) = day.wait_for(lambda: fake.posts(IDEAS), "the idea's post")
    idea_ts = idea_post.params.get("ts") or next(
        m["ts"] for m in fake.messages.get(IDEAS, []) if m.get("text") == idea_post.text
    )
    # The fake answers chat.postMessage a moment before teambot records where its post went; a
    # person can only react once Slack shows the post, so the votes wait for that record too.
    day.wait_for(lambda: _keys_of_message(day.env, IDEAS, idea_ts), "the idea's post recorded")
    day.reaction(VOTER, "+1::skin-tone-3", IDEAS, idea_ts, "UBOT")
    day.reaction(BEN, "+1", IDEAS, idea_ts, "UBOT")
    day.reaction(AUTHOR, "+1", IDEAS, idea_ts, "UBOT")
    (idea,) = _check(day.export())["ideas"]
    assert (idea["author"], idea["submitted_by"], idea["status"]) == (BEN, BEN, "open")
    assert idea["text"] == "A behind-the-scenes reel of the winter shoot"
    assert idea["votes"] == 2

    # 9. The App Home: what waits for the person looking, published with views.publish.
    day.event({"type": "app_home_opened", "user": BEN, "channel": "D0BEN", "tab": "home", "event_ts": ts})
    (home,) = day.wait_for(
        lambda: [c for c in fake.of("views.publish") if c.params.get("user_id") == BEN][-1:], "the Home tab"
    )
    text = home.all_text()
    assert "behind-the-scenes reel" in text and "open" in text
