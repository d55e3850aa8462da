"""Two (or twenty) people marking one account published at the same moment: one publication, the
others told who published it (the double-post guard), on SQLite and PostgreSQL."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.conftest import make_config
from tests.driver import TEAM
from tests.helpers import exported as _export
from tests.test_races import _at_once, _no_errors, errors_logged  # noqa: F401 (fixture)

PUBLISHERS = [f"U2{i:03d}" for i in range(20)]
DRAFTS = "C0DRAFTS"


@pytest.fixture
def config():
    return make_config(
        roles={"strategist": ["U0STRAT"], "content_manager": ["U0CONTENT"], "community_manager": PUBLISHERS},
        accounts=[{"name": "instagram", "network": "instagram"}, {"name": "x", "network": "x"}],
    )


def _command_body(user: str, text: str) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "channel_id": DRAFTS,
            "channel_name": "drafts",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/calendar",
            "text": text,
            "response_url": "https://hooks.slack.test/commands/1",
            "trigger_id": f"trigger-{user}",
        }
    )


def test_marking_one_account_published_at_once_gives_one_publication(driver, runtime, slack, errors_logged):  # noqa: F811
    driver.message(DRAFTS, "U0ANNA", "[instagram, x] Launch", "1712000000.000100")
    driver.command("/approve", "1", user="U0CONTENT")
    driver.command("/approve", "1", user="U0STRAT")
    form = "application/x-www-form-urlencoded"
    requests = [
        (_command_body(user, f"published 1 instagram https://instagram.com/p/{user}"), form) for user in PUBLISHERS
    ]
    statuses = _at_once(driver, requests)
    assert statuses == [200] * len(PUBLISHERS)
    (draft,) = _export(runtime)["drafts"]
    assert len(draft["publications"]) == 1
    (publication,) = draft["publications"]
    assert publication["account"] == "instagram" and publication["by"] in PUBLISHERS
    assert draft["status"] == "approved"  # x is not published yet
    assert draft["published_url"] == f"https://instagram.com/p/{publication['by']}"
    _no_errors(slack, errors_logged)
