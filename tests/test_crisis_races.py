"""Twenty people starting crisis mode at the same moment (commands and the crisis escalation's
button at once): one crisis, each post held once, everyone else told who started it, on SQLite and
PostgreSQL."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from bot.slack.ids import ActionId
from tests.conftest import make_config
from tests.driver import TEAM
from tests.helpers import exported
from tests.test_races import _at_once, _click_body, _no_errors, errors_logged  # noqa: F401 (fixture)

STARTERS = [f"U3{i:03d}" for i in range(20)]
DRAFTS = "C0DRAFTS"
ESCALATIONS = "C0ESCALATE"


@pytest.fixture
def config():
    return make_config(
        roles={"strategist": STARTERS, "content_manager": ["U0CONTENT"], "community_manager": ["U0COMMUNITY"]},
        accounts=[{"name": "instagram", "network": "instagram"}],
    )


def _command_body(user: str, text: str) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "channel_id": ESCALATIONS,
            "channel_name": "escalations",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/crisis",
            "text": text,
            "response_url": "https://hooks.slack.test/commands/1",
            "trigger_id": f"trigger-{user}",
        }
    )


def test_starting_crisis_mode_at_once_gives_one_crisis(driver, runtime, slack, errors_logged):  # noqa: F811
    driver.message(DRAFTS, "U0ANNA", "[instagram] tomorrow 10:00 Cheerful", "1712000000.000100")
    driver.message(DRAFTS, "U0ANNA", "[instagram] tomorrow 12:00 Also cheerful", "1712000000.000200")
    driver.command("/escalate", "pr crisis Recall", user="U0ANNA")
    form = "application/x-www-form-urlencoded"
    requests = [
        (_command_body(user, f"start Outage seen by {user}"), form)
        if index % 2
        else (_click_body(ActionId.CRISIS_START, "1", user, ESCALATIONS), form)
        for index, user in enumerate(STARTERS)
    ]
    statuses = _at_once(driver, requests)
    assert statuses == [200] * len(STARTERS)
    data = exported(runtime)
    (crisis,) = data["crises"]
    assert crisis["started_by"] in STARTERS and crisis["held"] == [1, 2]
    for draft in data["drafts"]:
        assert draft["status"] == "on_hold"
        assert [e["action"] for e in draft["history"]].count("held") == 1
    # Everyone who clicked and lost is told who started it (a command's answer is its response).
    clickers = set(STARTERS[0::2])
    refused = {c.params["user"] for c in slack.ephemerals() if "already on" in c.text}
    assert refused == clickers - {crisis["started_by"]}
    started_posts = [c for c in slack.posts(ESCALATIONS) if "Crisis mode is on" in c.text]
    assert len(started_posts) == 1
    _no_errors(slack, errors_logged)
