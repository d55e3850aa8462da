"""The style guide: `/guide` lists topics, `/guide WORDS` shows the best match and names the other
close ones; the file is read at start-up and its text is escaped before it reaches Slack."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import ConfigError, load_config
from bot.features.guide import blocks
from bot.features.guide import service as guide
from tests.conftest import make_config
from tests.helpers import sqlite_only

GUIDE = """# Northwind social style guide

Read this before answering anyone.

## Support
Answer within an hour. Thank them, **apologise once**, move to DMs for order numbers.
- Never argue in public
- Link the [status page](https://status.example.com)

## PR
Only the PR lead speaks about the company. Holding line: "We are looking into it."

## Negative reviews
Reply once, politely; offer a DM. Never delete a review. <!channel> is never used.

## Tone of voice
Warm, short, no jargon. Emoji: at most one per reply.

```
## not a topic (inside a code block)
```
"""


@pytest.fixture
def guide_file(tmp_path) -> Path:
    path = tmp_path / "guide.md"
    path.write_text(GUIDE, encoding="utf-8")
    return path


@pytest.fixture
def config(guide_file):
    return make_config(guide={"file": str(guide_file)})


def test_sections_are_the_level_two_headings():
    topics = [s.topic for s in guide.parse(GUIDE)]
    assert topics == ["Support", "PR", "Negative reviews", "Tone of voice"]
    assert "## not a topic" in guide.parse(GUIDE)[-1].body


@sqlite_only
def test_guide_lists_the_topics(driver):
    reply = driver.command("/guide")
    assert reply.json["response_type"] == "ephemeral"
    for topic in ("Support", "PR", "Negative reviews", "Tone of voice"):
        assert topic in reply.text


@sqlite_only
def test_best_match_with_the_other_close_ones_named(driver):
    reply = driver.command("/guide", "negative review")
    text = reply.text
    assert "Style guide — Negative reviews" in text
    assert "Never delete a review" in text
    assert "Also close" not in text or "Support" not in text.split("Also close")[1]


def test_a_typo_still_finds_the_topic_and_close_matches_are_named(config):
    assert guide.look_up(config, "suport").best.topic == "Support"
    found = guide.look_up(config, "negative tone")
    assert found.best.topic == "Negative reviews"
    assert [s.topic for s in found.others] == ["Tone of voice"]


@sqlite_only
def test_guide_text_cannot_ping_or_link(driver):
    text = driver.command("/guide", "negative").text
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text


def test_markdown_becomes_slack_mrkdwn():
    mrkdwn = blocks.to_mrkdwn("**Bold** and [status](https://status.example.com)\n- item\n> quote")
    assert mrkdwn == "*Bold* and status (<https://status.example.com>)\n• item\n> quote"


@sqlite_only
@pytest.mark.parametrize("words", ["help", "HELP", "?"])
def test_help(driver, words):
    text = driver.command("/guide", words).text
    assert "/guide" in text and "Examples" in text


@sqlite_only
def test_nothing_matches_says_so_with_the_topics(driver):
    text = driver.command("/guide", "zebra crossing").text
    assert "Nothing in the style guide matches" in text
    assert "Tone of voice" in text
    assert "Example" in text


@sqlite_only
def test_user_words_are_not_echoed_as_a_mention(driver):
    text = driver.command("/guide", "<!channel> zebra").text
    assert "<!channel>" not in text


@sqlite_only
def test_without_a_guide_the_command_says_how_to_add_one(driver, runtime):
    runtime.config = make_config()
    from bot.app import create_app

    driver.app = create_app(runtime)
    text = driver.command("/guide", "support").text
    assert "[guide]" in text


def test_team_section_is_found_by_its_team_name(config):
    assert guide.section_for_team(config, "pr").topic == "PR"
    assert guide.section_for_team(config, "legal") is None


def test_a_missing_guide_file_stops_start_up_with_one_line(tmp_path):
    path = tmp_path / "teambot.toml"
    path.write_text(
        '[channels]\ndrafts = "C0D"\nescalations = "C0E"\nideas = "C0I"\nchecklists = "C0C"\ndigest = "C0S"\n'
        f'[guide]\nfile = "{tmp_path / "nope.md"}"\n'
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert "guide" in message and "nope.md does not exist" in message and "\n" not in message


def test_an_escalation_shows_how_we_handle_its_team(driver, slack, sender):
    driver.command("/escalate", "pr high Journalist asks about the recall", user="U0PAT")
    [post] = slack.posts("C0ESCALATE")
    text = post.all_text()
    assert "How we handle this* (PR)" in text
    assert "Holding line" in text
    driver.command("/escalate", "support Customer cannot log in", user="U0PAT")
    support = slack.posts("C0ESCALATE")[-1].all_text()
    assert "How we handle this* (Support)" in support and "apologise once" in support


def test_a_team_without_a_section_gets_none(driver, slack, runtime):
    from bot.app import create_app

    runtime.config = make_config(
        guide={"file": str(runtime.config.guide.file)},
        teams={**{k: v.model_dump() for k, v in runtime.config.teams.items()}, "legal": {"lead": "U0LEAD"}},
    )
    driver.app = create_app(runtime)
    driver.command("/escalate", "legal Cease and desist letter", user="U0PAT")
    assert "How we handle this" not in slack.posts("C0ESCALATE")[-1].all_text()


def test_a_team_named_with_underscores_finds_its_topic_written_with_spaces(driver, slack, runtime, tmp_path):
    from bot.app import create_app

    guide_file = tmp_path / "care.md"
    guide_file.write_text("## Customer care\nAnswer within the hour.\n\n## Customer care for legal\nNever.\n")
    runtime.config = make_config(
        guide={"file": str(guide_file)},
        teams={**{k: v.model_dump() for k, v in runtime.config.teams.items()}, "customer_care": {"lead": "U0LEAD"}},
    )
    driver.app = create_app(runtime)
    driver.command("/escalate", "customer_care Order never arrived", user="U0PAT")
    text = slack.posts("C0ESCALATE")[-1].all_text()
    assert "How we handle this* (Customer care)" in text and "Answer within the hour" in text


def test_a_long_list_of_topics_shows_twenty_and_says_how_many_more(tmp_path):
    path = tmp_path / "long.md"
    path.write_text("".join(f"## Topic {n:02d}\nText {n}.\n\n" for n in range(45)))
    text, body = blocks.topics(guide.require_guide(make_config(guide={"file": str(path)})))
    assert "Topic 19" in text and "Topic 20" not in text
    assert "and 25 more" in text and "and 25 more" in body[0]["text"]["text"]
