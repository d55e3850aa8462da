"""Socket Mode's start while Slack cannot be reached: teambot waits with back-off, one line per
try, and stops cleanly on SIGTERM meanwhile; only a refused app token ends it (exit 2)."""

from __future__ import annotations

import logging
import time
import urllib.error

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.core.errors import ConfigError
from bot.slack.socket_mode import MAX_WAIT, connect_with_retry
from tests.test_http_server import START_TIMEOUT, bot_env, free_port, run_to_exit, running


def _slack_error(error: str) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=200,
    )
    return SlackApiError(error, response)


class Attempts:
    def __init__(self, *failures: BaseException):
        self.failures = list(failures)
        self.made = 0

    def __call__(self) -> None:
        self.made += 1
        if self.failures:
            raise self.failures.pop(0)


def test_an_unreachable_slack_is_retried_with_back_off_and_one_line_per_try(caplog):
    caplog.set_level(logging.INFO)
    unreachable = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
    attempts = Attempts(*[unreachable] * 8, _slack_error("internal_error"))
    waits: list[float] = []
    assert connect_with_retry(attempts, lambda seconds: waits.append(seconds) or False) is True
    assert attempts.made == 10
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60] and max(waits) == MAX_WAIT
    lines = [r for r in caplog.records if r.name == "teambot"]
    assert len(lines) == 9 and all(r.exc_info is None and "trying again" in r.getMessage() for r in lines)
    assert "URLError" in lines[0].getMessage() and "internal_error" in lines[-1].getMessage()


def test_a_stop_while_waiting_ends_the_retries():
    attempts = Attempts(OSError("network is unreachable"), OSError("network is unreachable"))
    assert connect_with_retry(attempts, lambda seconds: True) is False
    assert attempts.made == 1


@pytest.mark.parametrize("error", ["invalid_auth", "not_allowed_token_type", "token_revoked"])
def test_a_refused_app_token_stops_at_once(error):
    attempts = Attempts(_slack_error(error))
    with pytest.raises(ConfigError, match=f"SLACK_APP_TOKEN was refused by Slack \\({error}\\)"):
        connect_with_retry(attempts, lambda seconds: pytest.fail("a refused token is not retried"))


# -- the real program ------------------------------------------------------------------------------
@pytest.mark.slow
def test_run_in_socket_mode_without_slack_keeps_trying_and_stops_on_sigterm(tmp_path):
    unreachable = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    env = bot_env(tmp_path, f"sqlite:///{tmp_path / 'teambot.db'}", unreachable, SLACK_APP_TOKEN="xapp-1-test")
    with running(["run", "--no-scheduler"], env, tmp_path / "bot.log") as bot:
        deadline = time.monotonic() + START_TIMEOUT
        while "Socket Mode: cannot connect to Slack" not in bot.output() and time.monotonic() < deadline:
            assert bot.popen.poll() is None, bot.output()
            time.sleep(0.2)
        assert "Socket Mode: cannot connect to Slack" in bot.output()
        assert bot.popen.poll() is None  # still there, waiting for Slack
        assert bot.stop() == 0
    assert "Traceback" not in bot.output()


@pytest.mark.slow
def test_run_in_socket_mode_with_a_refused_app_token_exits_2(tmp_path):
    from tests.fake_slack import start_fake_slack

    slack = start_fake_slack()
    slack.fail("apps.connections.open", error="invalid_auth", times=5)
    env = bot_env(tmp_path, f"sqlite:///{tmp_path / 'teambot.db'}", slack.url, SLACK_APP_TOKEN="xapp-1-test")
    result = run_to_exit(env, "run", "--no-scheduler")
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN was refused by Slack (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
