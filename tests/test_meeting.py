"""The weekly planning meeting: updates asked for by DM before it (once), `/meeting update` and the
form, `/meeting`, and the agenda posted once at its time, through the real app and fake Web API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from bot.app import run_jobs
from bot.features.meeting import service as meeting
from bot.features.meeting.models import MeetingUpdate
from bot.slack.ids import ActionId, ViewId
from tests.conftest import make_config
from tests.helpers import MONDAY_10, sqlite_only

# From MONDAY_10 the meeting is Tuesday 5 March at 10:00 in Budapest (09:00 UTC) and members are
# asked two hours before (07:00 UTC).
ASK_TIME = datetime(2024, 3, 5, 7, 0, 5, tzinfo=UTC)
MEETING_TIME = datetime(2024, 3, 5, 9, 0, 5, tzinfo=UTC)
MEMBERS = {"U0STRAT", "U0CONTENT", "U0COMMUNITY", "U0COORD"}


@pytest.fixture
def started(runtime):
    """The scheduler first ran on Monday (nothing due before that is ever sent)."""
    run_jobs(runtime, MONDAY_10)
    return runtime


def _asks(slack):
    return [c for c in slack.posts() if "planning meeting starts" in c.text]


def _agendas(slack):
    return [c for c in slack.posts("C0DRAFTS") if "Agenda of the planning meeting" in c.text]


def test_members_are_asked_once_by_dm_with_a_button(started, slack, sender):
    run_jobs(started, ASK_TIME)
    run_jobs(started, ASK_TIME)  # a retried tick or a second replica
    sender.drain()
    asks = _asks(slack)
    assert {c.channel for c in asks} == MEMBERS
    buttons = [e["action_id"] for b in asks[0].blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [ActionId.MEETING_ADD_UPDATE]


def test_nobody_is_asked_before_the_time(started, slack, sender):
    run_jobs(started, datetime(2024, 3, 5, 6, 59, tzinfo=UTC))
    sender.drain()
    assert _asks(slack) == []


def test_update_by_command_then_status_shows_who_answered(started, driver, runtime):
    with freeze_time(MONDAY_10):
        reply = driver.command(
            "/meeting", "update Learned: reels beat carousels · Working on: spring campaign", user="U0CONTENT"
        )
        assert "saved" in reply.text
        again = driver.command("/meeting", "update Working on: the launch", user="U0CONTENT")
        assert "replaced" in again.text
        status = driver.command("/meeting", user="U0STRAT").text
    assert "Updates from: <@U0CONTENT>" in status
    assert "<@U0STRAT>" in status.split("Still to send one:")[1]
    with runtime.session_factory() as session:
        [update] = session.scalars(select(MeetingUpdate)).all()
        assert (update.learned, update.working_on) == ("", "the launch")


def test_the_button_opens_the_form_and_the_form_saves_the_update(started, driver, slack, runtime):
    with freeze_time(ASK_TIME):
        assert driver.click(ActionId.MEETING_ADD_UPDATE, "1", user="U0COORD").status == 200
        [opened] = slack.of("views.open")
        assert opened.params["view"]["callback_id"] == ViewId.MEETING_UPDATE
        values = {
            "learned": {"value": {"type": "plain_text_input", "value": "TikTok <!channel> loves behind-the-scenes"}},
            "working_on": {"value": {"type": "plain_text_input", "value": "The newsletter"}},
            "need_help": {"value": {"type": "plain_text_input", "value": ""}},
        }
        assert driver.submit_view(ViewId.MEETING_UPDATE, values, user="U0COORD").status == 200
    with runtime.session_factory() as session:
        [update] = session.scalars(select(MeetingUpdate)).all()
        assert update.user_id == "U0COORD"
        assert update.learned == "TikTok &lt;!channel&gt; loves behind-the-scenes"  # escaped once


def test_an_empty_form_is_answered_on_the_field(started, driver, runtime):
    values = {
        name: {"value": {"type": "plain_text_input", "value": " "}} for name in ("learned", "working_on", "need_help")
    }
    with freeze_time(ASK_TIME):
        reply = driver.submit_view(ViewId.MEETING_UPDATE, values, user="U0COORD")
    assert reply.json["response_action"] == "errors"
    assert "working_on" in reply.json["errors"]
    with runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(MeetingUpdate)) == 0


def test_the_agenda_is_posted_once_with_updates_missing_people_drafts_and_ideas(started, driver, slack, sender):
    with freeze_time(MONDAY_10):
        driver.command("/meeting", "update Working on: the spring campaign <!channel>", user="U0CONTENT")
        driver.message("C0DRAFTS", "U0ANNA", "Spring sale starts Friday!", "1709542800.000100")
        driver.command("/idea", "Behind the scenes of the warehouse", user="U0BEN")
    slack.reset()
    run_jobs(started, MEETING_TIME)
    run_jobs(started, MEETING_TIME)
    sender.drain()
    [agenda] = _agendas(slack)
    text = agenda.all_text()
    assert "the spring campaign" in text
    assert "<!channel>" not in text
    assert "No update from" in text and "<@U0STRAT>" in text
    assert "draft #1" in text
    assert "#1 Behind the scenes of the warehouse — 0 votes" in text


def test_a_meeting_missed_beyond_the_grace_is_not_posted_late(started, slack, sender):
    run_jobs(started, datetime(2024, 3, 5, 12, 0, tzinfo=UTC))  # three hours late: grace is one
    sender.drain()
    assert _agendas(slack) == []


@sqlite_only
@pytest.mark.parametrize("words", ["help", "HELP", "?"])
def test_help(driver, words):
    text = driver.command("/meeting", words).text
    assert "/meeting" in text and "Examples" in text


@pytest.mark.parametrize(("text", "expected"), [("dance", "is not a /meeting command"), ("update", "Say what")])
def test_bad_input_gets_one_clear_answer_with_an_example(driver, text, expected):
    reply = driver.command("/meeting", text)
    assert expected in reply.text
    assert "Example" in reply.text


def test_parse_update_text():
    parts = meeting.parse_update_text("Learned: a; Working on: b · Need help: c\nmore work")
    assert parts == {"learned": "a", "working_on": "b\nmore work", "need_help": "c"}
    assert meeting.parse_update_text("just this")["working_on"] == "just this"


def test_the_agenda_shows_last_weeks_standouts_and_next_weeks_calendar_with_gaps(started, driver, slack, sender):
    from bot.app import create_app
    from bot.features.calendar.models import Publication
    from bot.features.metrics.models import PostMetric
    from tests.helpers import add_draft

    started.config = make_config(accounts=[{"name": "instagram"}, {"name": "x"}])
    driver.app = create_app(started)
    with started.session_factory() as session:
        # Eight weeks of ordinary posts on instagram, then one last week that engaged ten times more.
        for week in range(1, 10):
            at = datetime(2024, 2, 28, 10, tzinfo=UTC) - timedelta(weeks=week - 1)
            draft = add_draft(session, ts=f"{1700000000 + week}.000100", author="U0BEN", decided_at=at)
            session.add(Publication(draft_id=draft.id, account="instagram", by="U0COMMUNITY", at=at))
            engagements = 200 if week == 1 else 20
            session.add(
                PostMetric(
                    draft_id=draft.id,
                    impressions=1000,
                    engagements=engagements,
                    clicks=None,
                    recorded_at=at,
                    recorded_by=None,
                    source="import",
                )
            )
        session.commit()
    with freeze_time(MONDAY_10):
        driver.message("C0DRAFTS", "U0ANNA", "[instagram] 2024-03-13 10:00 Spring is here", "1709542800.000900")
    slack.reset()
    run_jobs(started, MEETING_TIME)
    sender.drain()
    [agenda] = _agendas(slack)
    text = agenda.all_text()
    assert "Last week's standout posts" in text and "20.0% engagement, above the usual 2.0%" in text
    assert "Next week's calendar" in text and "10:00 [instagram]" in text
    assert "instagram: nothing on Mon, Tue, Thu, Fri, Sat, Sun" in text
    assert "x: nothing on Mon, Tue, Wed, Thu, Fri, Sat, Sun" in text
