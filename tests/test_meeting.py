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


def test_update_help_is_answered_with_the_help_and_is_no_update(driver, runtime):
    text = driver.command("/meeting", "update help").text
    assert "/meeting" in text and "Examples" in text
    with runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(MeetingUpdate)) == 0


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


def _update_form(learned: str = "", working_on: str = "", need_help: str = "") -> dict:
    return {
        name: {"value": {"type": "plain_text_input", "value": value}}
        for name, value in (("learned", learned), ("working_on", working_on), ("need_help", need_help))
    }


def test_a_multiline_update_is_quoted_once_per_line_in_the_agenda(started, driver, slack, sender):
    with freeze_time(ASK_TIME):
        driver.submit_view(
            ViewId.MEETING_UPDATE, _update_form(working_on="The launch\nthe newsletter\n> a quote"), user="U0COORD"
        )
    run_jobs(started, MEETING_TIME)
    sender.drain()
    [agenda] = _agendas(slack)
    [section] = [b["text"]["text"] for b in agenda.blocks if "<@U0COORD>*" in b.get("text", {}).get("text", "")]
    assert section.split("\n") == [
        "*<@U0COORD>*",
        "_What I am working on_",
        ">The launch",
        ">the newsletter",
        ">&gt; a quote",
    ]


def test_editing_an_update_through_the_prefilled_form_escapes_it_once(started, driver, slack, sender, runtime):
    typed = "Tom & Jerry <b>bold</b> plans"
    with freeze_time(ASK_TIME):
        driver.submit_view(ViewId.MEETING_UPDATE, _update_form(learned=typed, working_on="Reels"), user="U0COORD")
        driver.click(ActionId.MEETING_ADD_UPDATE, "1", user="U0COORD")
        [opened] = slack.of("views.open")
        initial = {
            b["block_id"]: b["element"].get("initial_value") for b in opened.params["view"]["blocks"] if "element" in b
        }
        assert initial == {"learned": typed, "working_on": "Reels", "need_help": None}  # as the person typed it
        # They change one part and send the rest back as the form shows it.
        driver.submit_view(
            ViewId.MEETING_UPDATE, _update_form(learned=initial["learned"], working_on="Stories"), user="U0COORD"
        )
    with runtime.session_factory() as session:
        [update] = session.scalars(select(MeetingUpdate)).all()
        assert (update.learned, update.working_on) == ("Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; plans", "Stories")
    run_jobs(started, MEETING_TIME)
    sender.drain()
    text = _agendas(slack)[0].all_text()
    assert ">Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; plans" in text and "&amp;amp;" not in text


def test_people_who_already_sent_an_update_are_not_asked_again(started, driver, slack, sender):
    with freeze_time(MONDAY_10):
        driver.command("/meeting", "update Working on: the spring campaign", user="U0CONTENT")
    run_jobs(started, ASK_TIME)
    sender.drain()
    assert {c.channel for c in _asks(slack)} == MEMBERS - {"U0CONTENT"}


def test_the_agenda_shows_the_five_most_voted_open_ideas_in_order(started, slack, sender):
    from bot.features.ideas.models import Idea, IdeaVote

    votes = {
        "Behind the scenes": 2,
        "Staff picks": 5,
        "Customer stories": 0,
        "Quiz": 7,
        "Throwback": 1,
        "Memes": 3,
        "Polls": 4,
    }
    with started.session_factory() as session:
        for title, count in votes.items():
            idea = Idea(author="U0ANNA", submitted_by="U0ANNA", title=title, text=title, created_at=MONDAY_10)
            session.add(idea)
            session.flush()
            session.add_all(IdeaVote(idea_id=idea.id, user_id=f"U0V{n}", voted_at=MONDAY_10) for n in range(count))
        # An accepted idea, however voted for, is no longer for brainstorming.
        accepted = Idea(
            author="U0BEN", submitted_by="U0BEN", title="Done", text="Done", status="accepted", created_at=MONDAY_10
        )
        session.add(accepted)
        session.flush()
        session.add_all(IdeaVote(idea_id=accepted.id, user_id=f"U0V{n}", voted_at=MONDAY_10) for n in range(9))
        session.commit()
    run_jobs(started, MEETING_TIME)
    sender.drain()
    [agenda] = _agendas(slack)
    texts = [b["text"]["text"] for b in agenda.blocks if b["type"] == "section"]
    brainstorm = "\n".join(texts[next(i for i, t in enumerate(texts) if "most-voted open ideas" in t) :])
    shown = [line.split(" ", 2)[2] for line in brainstorm.split("\n") if line.startswith("• #")]
    assert shown == [
        "Quiz — 7 votes",
        "Staff picks — 5 votes",
        "Polls — 4 votes",
        "Memes — 3 votes",
        "Behind the scenes — 2 votes",
    ]


def test_the_meeting_keys_set_in_the_config_are_followed(runtime, slack, sender):
    runtime.config = make_config(
        meeting={
            "cron": "30 14 * * thu",
            "ask_before_minutes": 45,
            "roles": ["community_manager", "coordinator"],
            "channel": "C0MEETING",
        },
    )
    run_jobs(runtime, MONDAY_10)
    # Tuesday's default times pass without a word.
    run_jobs(runtime, ASK_TIME)
    run_jobs(runtime, MEETING_TIME)
    sender.drain()
    assert _asks(slack) == [] and slack.posts("C0MEETING") == [] and _agendas(slack) == []
    # Thursday 7 March, 14:30 in Budapest (13:30 UTC): asked at 13:45 Budapest, 45 minutes before.
    run_jobs(runtime, datetime(2024, 3, 7, 12, 44, tzinfo=UTC))
    sender.drain()
    assert _asks(slack) == []
    run_jobs(runtime, datetime(2024, 3, 7, 12, 45, 5, tzinfo=UTC))
    sender.drain()
    assert {c.channel for c in _asks(slack)} == {"U0COMMUNITY", "U0COORD"}
    assert "2024-03-07 13:30 UTC" in _asks(slack)[0].text
    run_jobs(runtime, datetime(2024, 3, 7, 13, 30, 5, tzinfo=UTC))
    sender.drain()
    [agenda] = [c for c in slack.posts("C0MEETING") if "Agenda of the planning meeting" in c.text]
    assert "No update from <@U0COMMUNITY>, <@U0COORD>" in agenda.all_text()
    assert _agendas(slack) == []  # nothing in the default channel


def test_twenty_five_updates_show_twenty_and_the_agenda_stays_within_slacks_limits(started, slack, sender):
    people = [f"U0P{n:02d}" for n in range(25)]
    long_part = "\n".join(["short line"] * 90)  # 989 characters, and 90 lines to quote
    with started.session_factory() as session:
        for person in people:
            meeting.record_update(
                session,
                started.config,
                user=person,
                now=MONDAY_10,
                learned=long_part,
                working_on=long_part,
                need_help="A designer " * 90,
            )
        session.commit()
    run_jobs(started, MEETING_TIME)
    sender.drain()
    [agenda] = _agendas(slack)
    assert len(agenda.blocks) <= 50
    texts = [b["text"]["text"] for b in agenda.blocks if b["type"] == "section"]
    texts += [e["text"] for b in agenda.blocks if b["type"] == "context" for e in b["elements"]]
    assert max(len(t) for t in texts) <= 3000
    shown = [t for t in texts if t.startswith("*<@U0P")]
    assert [t.split("*")[1] for t in shown] == [f"<@{p}>" for p in people[:20]]
    assert all("_Where I need help_\n>A designer" in t for t in shown)  # each person's three parts fit
    [more] = [t for t in texts if "more updates" in t]
    assert more.startswith("…and 5 more updates, from <@U0P20>, <@U0P21>, <@U0P22>, <@U0P23>, <@U0P24>")


def test_gaps_on_more_accounts_than_the_agenda_lists_are_counted():
    import json
    from datetime import date

    from bot.features.calendar.service import Week
    from bot.features.meeting import blocks
    from bot.features.meeting.models import Meeting

    monday = date(2024, 3, 11)
    week = Week(monday, None, {monday + timedelta(days=n): [] for n in range(7)}, {})
    gaps = {f"account{n:02d}": [monday] for n in range(23)}
    agenda = meeting.Agenda(Meeting(id=1, starts_at=MONDAY_10), [], [], [], 0, next_week=week, gaps=gaps)
    text = json.dumps(blocks.agenda(agenda, make_config().tz)[1])
    assert "account19" in text and "account20" not in text
    assert "and 3 more" in text
