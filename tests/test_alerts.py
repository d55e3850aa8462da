"""Alerts from listening tools: top-level messages in the alerts channel open escalations by rule,
once per message, whoever posts them (people, integrations), never teambot's own or replies."""

from __future__ import annotations

import time

import pytest

from bot.app import export_all
from bot.core.config import ConfigError, load_config
from bot.features.alerts import service as alerts
from tests.conftest import make_config
from tests.fake_slack import BOT_ID, BOT_USER

pytestmark = pytest.mark.usefixtures("frozen")  # MONDAY_10

ALERTS = "C0ALERTS"
RULES = [
    {"match": "(?i)weekly summary", "severity": "ignore"},
    {"match": "(?i)legal|lawsuit", "team": "pr", "severity": "crisis"},
    {"match": "(?i)spike|surge|negative", "team": "pr", "severity": "high"},
]


@pytest.fixture
def config():
    channels = {**make_config().channels.model_dump(), "alerts": ALERTS}
    return make_config(channels=channels, alert_rules=RULES)


def escalations(runtime):
    with runtime.session_factory() as session:
        return export_all(session)["escalations"]


def brandwatch_alert(ts: str, text: str, **extra):
    """A listening tool's alert as Slack delivers it: a `bot_message` whose words are in an attachment."""
    return {
        "type": "message",
        "subtype": "bot_message",
        "channel": ALERTS,
        "bot_id": "B0BRANDWATCH",
        "username": "Brandwatch",
        "text": "",
        "ts": ts,
        "attachments": [
            {
                "fallback": f"Brandwatch alert: {text}",
                "title": "Brandwatch alert",
                "text": text,
                "fields": [{"title": "Query", "value": "Our brand", "short": True}],
            }
        ],
        **extra,
    }


def test_an_integration_alert_opens_an_escalation_by_the_first_matching_rule(driver, runtime, slack):
    reply = driver.event(brandwatch_alert("1709542800.000100", "Mentions spike: 5x the usual volume"))
    assert reply.status == 200
    [esc] = escalations(runtime)
    assert (esc["team"], esc["severity"], esc["status"]) == ("pr", "high", "open")
    [post] = slack.posts("C0ESCALATE")
    assert "Mentions spike" in post.all_text()
    assert "1709542800" in post.all_text().replace(".", "")  # the alert's permalink is on the post


def test_the_first_rule_wins(driver, runtime):
    driver.event(brandwatch_alert("1709542800.000200", "Negative spike after lawsuit news"))
    [esc] = escalations(runtime)
    assert esc["severity"] == "crisis"


def test_a_person_posting_in_the_alerts_channel_counts_too(driver, runtime):
    driver.message(ALERTS, "U0PAT", "Negative surge on TikTok about the ad", "1709542800.000300")
    [esc] = escalations(runtime)
    assert (esc["team"], esc["severity"]) == ("pr", "high")


def test_an_app_message_with_bot_id_and_no_subtype_counts(driver, runtime):
    event = {
        "type": "message",
        "channel": ALERTS,
        "bot_id": "B0MENTION",
        "app_id": "A0MENTION",
        "text": "Spike in mentions",
        "ts": "1709542800.000350",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Spike in mentions"}}],
    }
    driver.event(event)
    assert len(escalations(runtime)) == 1


def test_ignore_rules_and_unmatched_alerts_open_nothing(driver, runtime, slack):
    driver.event(brandwatch_alert("1709542800.000400", "Your weekly summary: negative mentions down"))
    driver.event(brandwatch_alert("1709542800.000500", "Nothing unusual today"))
    assert escalations(runtime) == []
    assert slack.posts("C0ESCALATE") == []


def test_once_per_message_whatever_slack_retries_or_edits(driver, runtime, slack):
    alert = brandwatch_alert("1709542800.000600", "Negative spike")
    driver.event(alert, event_id="EvALERT1")
    driver.event(alert, event_id="EvALERT1", retry_num=1)
    driver.event(alert, event_id="EvALERT2")  # delivered again under another id
    edited = {
        "type": "message",
        "subtype": "message_changed",
        "channel": ALERTS,
        "ts": "1709542800.000700",
        "message": {**alert, "text": "Negative spike (updated)", "edited": {"ts": "1709542800.000700"}},
        "previous_message": alert,
    }
    driver.event(edited)
    assert len(escalations(runtime)) == 1
    assert len(slack.posts("C0ESCALATE")) == 1


def test_teambot_own_messages_replies_and_broadcasts_never_open_one(driver, runtime):
    driver.message(ALERTS, BOT_USER, "Negative spike", "1709542800.000800", bot_id=BOT_ID)
    driver.event({**brandwatch_alert("1709542800.000900", "Negative spike"), "bot_id": BOT_ID})
    driver.message(ALERTS, "U0PAT", "Negative spike?", "1709542800.001000", thread_ts="1709542800.000100")
    driver.message(
        ALERTS,
        "U0PAT",
        "Negative spike!",
        "1709542800.001100",
        subtype="thread_broadcast",
        thread_ts="1709542800.000100",
    )
    driver.message(ALERTS, "U0PAT", "", "1709542800.001200", subtype="channel_join")
    assert escalations(runtime) == []


def test_messages_elsewhere_are_not_alerts(driver, runtime):
    driver.message("C0GENERAL", "U0PAT", "Negative spike", "1709542800.001300")
    assert escalations(runtime) == []


def test_alert_text_cannot_ping_or_forge_links(driver, slack):
    driver.message(
        ALERTS, "U0PAT", "Negative spike <!channel> <https://evil.example|https://good.example>", "1709542800.001400"
    )
    sent = slack.everything_sent()
    assert "<!channel>" not in sent
    assert "|https://good.example>" not in sent


def test_without_rules_every_alert_is_a_normal_escalation_for_the_default_team(driver, runtime, config):
    channels = {**config.channels.model_dump()}
    runtime.config = make_config(channels=channels)
    driver.app = __import__("bot.app", fromlist=["create_app"]).create_app(runtime)
    driver.event(brandwatch_alert("1709542800.001500", "Anything at all"))
    [esc] = escalations(runtime)
    assert (esc["team"], esc["severity"]) == ("support", "normal")


# -- rules, pure ---------------------------------------------------------------------------------
def test_a_hostile_pattern_or_text_cannot_stall_matching():
    # `(a+)+$` backtracks exponentially in Python's `re`; RE2 answers at once, and the text is capped.
    config = make_config(alert_rules=[{"match": "(a+)+$", "team": "pr"}])
    started = time.perf_counter()
    assert alerts.first_match(config.alert_rules, "a" * (alerts.MAX_MATCHED_TEXT - 1) + "!") is None
    assert time.perf_counter() - started < 1.0


def test_matched_text_is_capped():
    event = {"text": "x" * (alerts.MAX_MATCHED_TEXT + 500) + " spike"}
    assert len(alerts.alert_text(event)) == alerts.MAX_MATCHED_TEXT


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"match": "(?<=a)b"}], "alert_rules.0.match"),
        ([{"match": "(unclosed"}], "alert_rules.0.match"),
        ([{"match": "spike", "team": "nobody"}], "alert_rules[0].team 'nobody' is not a team"),
        ([{"match": "spike", "severity": "urgent"}], "alert_rules.0.severity"),
        ([{"match": "spike", "colour": "red"}], "alert_rules.0.colour: unknown key"),
    ],
)
def test_bad_rules_stop_start_up_with_one_line_naming_the_key(tmp_path, rules, message):
    lines = [
        "[channels]",
        'drafts = "C0D"',
        'escalations = "C0E"',
        'ideas = "C0I"',
        'checklists = "C0C"',
        'digest = "C0S"',
        "[escalation]",
        'default_team = "pr"',
        "[teams.pr]",
        'lead = "U0LEAD"',
    ]
    for rule in rules:
        lines.append("[[alert_rules]]")
        lines += [f'{k} = "{v}"' for k, v in rule.items()]
    path = tmp_path / "teambot.toml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_an_integration_is_named_as_such_not_as_a_broken_mention(driver, slack):
    driver.event(brandwatch_alert("1709542800.002000", "Negative spike"))
    [post] = slack.posts("C0ESCALATE")
    assert "<@B0BRANDWATCH>" not in post.all_text()
    assert "an integration (B0BRANDWATCH)" in post.all_text()


def test_resolving_an_integrations_alert_tells_no_bot(driver, slack, runtime):
    # A person who escalates is told when it is resolved; an integration has no one to tell.
    driver.event(brandwatch_alert("1709542800.003000", "Negative spike"))
    driver.command("/escalate", "resolve 1 Handled in the replies", user="U0PRLEAD")
    assert escalations(runtime)[0]["status"] == "resolved"
    assert [c for c in slack.calls if "B0BRANDWATCH" in (c.params.get("channel"), c.params.get("users"))] == []
