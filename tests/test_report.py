"""The weekly KPI report: figures for the team and per account against the week before and the
targets, standout posts and mention spikes, the chart uploaded with alt text, the authors asked to
explain, posted once a week by the scheduler and by `teambot report`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from bot.app import run_jobs
from bot.cli import weekly_report
from bot.cli.main import main
from bot.core.errors import BadInput
from bot.features.calendar.models import Publication
from bot.features.metrics.models import AccountDay, PostMetric
from bot.features.report import blocks, chart
from bot.features.report import service as report
from bot.features.report.jobs import post_weekly_report
from bot.features.report.models import Explanation
from bot.scheduler.context import JobContext
from bot.slack.ids import ActionId, ViewId
from tests.conftest import make_config
from tests.helpers import add_draft, exported, local

PNG = b"\x89PNG\r\n\x1a\n"
# The report of the week of Monday 1 June 2026 is due on Monday 8 June, 09:00 team time.
WEEK = date(2026, 6, 1)
DUE = local(2026, 6, 8, 9, 0, 5)
KPIS = {"posts": 3, "impressions": 5000, "engagement_rate": 0.05, "followers_gained": 100, "mentions": 50}


@pytest.fixture
def config():
    return make_config(kpis=KPIS, report={"standout_factor": 2.0})


def publish(session, *, ts: str, account: str, at: datetime, impressions: int, engagements: int, author="U0ANNA"):
    draft = add_draft(session, ts=ts, author=author, status="approved", decided_at=at - timedelta(hours=1))
    session.add(Publication(draft_id=draft.id, account=account, by="U0COMMUNITY", at=at, url=f"https://x.com/a/{ts}"))
    session.add(
        PostMetric(
            draft_id=draft.id,
            impressions=impressions,
            engagements=engagements,
            clicks=None,
            recorded_at=at,
            recorded_by=None,
            source="import",
        )
    )
    session.flush()
    return draft


def seed_year(runtime) -> dict[str, int]:
    """Eight weeks of ordinary posts on two accounts (2% engagement), then the report week: one
    post engaging at 10% (a standout), two ordinary ones, and followers and mentions per day."""
    ids = {}
    with runtime.session_factory() as session:
        for week in range(1, 9):
            monday = WEEK - timedelta(weeks=week)
            for n, account in enumerate(("instagram", "x")):
                publish(
                    session,
                    ts=f"{1780000000 + week * 10 + n}.000100",
                    account=account,
                    at=datetime.combine(monday, datetime.min.time(), UTC) + timedelta(days=2, hours=10),
                    impressions=1000,
                    engagements=20,
                )
        at = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)
        ids["standout"] = publish(
            session,
            ts="1790000001.000100",
            account="instagram",
            at=at,
            impressions=3000,
            engagements=300,
            author="U0BEN",
        ).id
        publish(session, ts="1790000002.000100", account="x", at=at, impressions=1000, engagements=20)
        publish(
            session, ts="1790000003.000100", account="x", at=at + timedelta(days=1), impressions=1000, engagements=21
        )
        for offset in range(-40, 7):
            day = WEEK + timedelta(days=offset)
            mentions = 200 if day == WEEK + timedelta(days=2) else 10
            session.add(
                AccountDay(
                    day=day,
                    account="x",
                    followers=5000 + 10 * (offset + 40),
                    mentions=mentions,
                    recorded_at=at,
                    source="import",
                )
            )
        session.commit()
    return ids


def test_figures_targets_standouts_and_spikes(runtime, config):
    ids = seed_year(runtime)
    with runtime.session_factory() as session:
        result = report.build(session, config, WEEK)
    assert result.week == "2026-W23"
    assert (result.team.posts, result.team.impressions, result.team.engagements) == (3, 5000, 341)
    assert (result.previous.posts, result.previous.impressions) == (2, 2000)
    assert result.team.followers_gained == 70 and result.team.mentions == 260
    met = {t.name: t.met for t in result.targets}
    assert met == {
        "posts": True,
        "impressions": True,
        "engagement_rate": True,
        "followers_gained": False,
        "mentions": True,
    }
    assert [s.post.draft_id for s in result.standouts] == [ids["standout"]]
    assert result.standouts[0].median_rate == pytest.approx(0.02)
    assert [(s.account, s.day, s.mentions) for s in result.spikes] == [("x", date(2026, 6, 3), 200)]
    assert set(result.accounts) == {"instagram", "x"}
    assert result.accounts["x"][0].posts == 2
    assert [p.week for p in result.series][-1] == "2026-W23" and len(result.series) == 8


def test_the_scheduler_posts_the_report_once_with_its_chart_and_asks_the_author(runtime, sender, slack):
    ids = seed_year(runtime)
    run_jobs(runtime, local(2026, 6, 1, 8, 0))  # the scheduler's first start
    for _ in range(2):  # a retried tick, a restart, a second replica
        run_jobs(runtime, DUE)
    sender.drain(DUE)
    [posted] = [c for c in slack.posts("C0STAFF") if "Weekly report 2026-W23" in c.text]
    assert "Standout posts" in posted.all_text() and "Mention spikes" in posted.all_text()
    # May's digest (due on 1 June, caught up on the 8th) shares its own chart there too.
    shared = slack.shared_files()
    assert sorted(f["filename"] for f in shared) == ["digest-2026-05.png", "report-2026-W23.png"]
    [weekly] = [f for f in shared if f["filename"] == "report-2026-W23.png"]
    assert weekly["channel"] == "C0STAFF"
    assert "Bar chart of impressions per week" in weekly["alt_txt"]
    assert weekly["content"].startswith(PNG)
    [dm] = [c for c in slack.posts("U0BEN") if "stand out" in c.text]
    assert f"#{ids['standout']}" in dm.all_text()
    assert exported(runtime)["reports"] == [{"week": "2026-W23", "posted_at": DUE.isoformat()}]


def test_a_missed_report_is_posted_later_that_week_but_not_the_week_after(runtime, sender, slack):
    seed_year(runtime)
    run_jobs(runtime, local(2026, 6, 1, 8, 0))
    run_jobs(runtime, local(2026, 6, 16, 9, 0))  # the bot was down from Sunday 7 to Tuesday 16 June
    sender.drain()
    weeks = [c.text for c in slack.posts("C0STAFF") if "Weekly report" in c.text]
    assert weeks == ["Weekly report 2026-W24"]


def test_the_author_explains_and_the_answer_goes_into_the_report_thread(runtime, driver, sender, slack):
    ids = seed_year(runtime)
    run_jobs(runtime, local(2026, 6, 1, 8, 0))
    run_jobs(runtime, DUE)
    sender.drain(DUE)
    value = f"2026-W23:{ids['standout']}"
    assert driver.click(ActionId.REPORT_EXPLAIN, value, user="U0ANNA").status == 200  # not the author
    assert slack.of("views.open") == []
    [refusal] = slack.ephemerals("U0ANNA")
    assert "Only <@U0BEN>" in refusal.text
    driver.click(ActionId.REPORT_EXPLAIN, value, user="U0BEN")
    [opened] = slack.of("views.open")
    assert opened.params["view"]["callback_id"] == ViewId.REPORT_EXPLANATION
    values = {"explanation": {"value": {"type": "plain_text_input", "value": "A customer's <!channel> video"}}}
    reply = driver.submit_view(ViewId.REPORT_EXPLANATION, values, user="U0BEN", private_metadata=value)
    assert reply.status == 200
    [answer] = [c for c in slack.posts("C0STAFF") if "on draft #" in c.text]
    assert answer.params.get("thread_ts")
    assert "<!channel>" not in answer.text
    with runtime.session_factory() as session:
        [explanation] = session.query(Explanation).all()
        assert explanation.text == "A customer's &lt;!channel&gt; video"


def test_chart_is_a_png_with_alt_text(config):
    points = [report.WeekPoint(f"2026-W{n:02d}", n * 1000, 0.01 * n) for n in range(16, 24)]
    png = chart.render(points, config.kpis, "Impressions")
    assert png.startswith(PNG) and len(png) > 5000
    text = chart.alt_text(points, config.kpis)
    assert "2026-W16 16,000" in text and "Target line for engagement rate at 5.0%" in text


@pytest.mark.parametrize("week", ["2026-W99", "2026-W00", "26-W01", "someday"])
def test_bad_weeks_are_refused(week):
    with pytest.raises(BadInput):
        report.parse_week(week)


def test_a_week_is_read_in_either_case_and_named_as_iso_writes_it():
    assert report.parse_week("2026-w23") == report.parse_week(" 2026-W23 ") == WEEK
    assert report.week_label(report.parse_week("2026-w23")) == "2026-W23"


def test_cli_dry_run_prints_and_writes_the_chart(runtime, settings, tmp_path, capsys, monkeypatch):
    seed_year(runtime)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    config_file = tmp_path / "teambot.toml"
    config_file.write_text(
        '[channels]\ndrafts = "C0DRAFTS"\nescalations = "C0ESCALATE"\nideas = "C0IDEAS"\nchecklists = "C0CHECKLIST"\n'
        'digest = "C0STAFF"\n[kpis]\nposts = 3\n'
    )
    monkeypatch.setenv("TEAMBOT_CONFIG", str(config_file))
    png = tmp_path / "chart.png"
    assert main(["report", "--week", "2026-W23", "--dry-run", "--chart", str(png)]) == 0
    out = capsys.readouterr().out
    assert "Weekly report 2026-W23" in out and "met: Posts published 3 of 3" in out
    assert png.read_bytes().startswith(PNG)
    assert main(["report", "--week", "2026-W99", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("teambot: --week:") and "\n" not in err


# -- teambot report --------------------------------------------------------------------------------
def _report_posts(slack) -> list:
    return [c for c in slack.posts("C0STAFF") if "Weekly report" in c.text]


def _weekly_charts(slack) -> list[dict]:
    return [f for f in slack.shared_files("C0STAFF") if f["filename"].startswith("report-")]


def test_cli_posts_last_week_once_by_default(runtime, settings, config, slack, capsys):
    seed_year(runtime)
    with freeze_time(local(2026, 6, 10, 12, 0)):  # a Wednesday: last week is 2026-W23
        assert weekly_report.run(settings, config, week=None, dry_run=False, chart_file=None) == 0
        out = capsys.readouterr().out
        assert "posted the report for 2026-W23 in C0STAFF with its chart (3 message(s) sent)" in out
        [post] = _report_posts(slack)
        assert post.text == "Weekly report 2026-W23"
        assert [f["filename"] for f in _weekly_charts(slack)] == ["report-2026-W23.png"]
        assert len([c for c in slack.posts("U0BEN") if "stand out" in c.text]) == 1

        # Once, ever: a second run, with the week named, posts nothing.
        assert weekly_report.run(settings, config, week="2026-W23", dry_run=False, chart_file=None) == 1
        err = capsys.readouterr().err
        assert "the report for 2026-W23 was already posted on 2026-06-10 12:00" in err and "--dry-run" in err
    run_jobs(runtime, local(2026, 6, 8, 9, 0, 5))  # nor does the scheduler, when the week falls due
    assert len(_report_posts(slack)) == 1 and len(_weekly_charts(slack)) == 1
    assert exported(runtime)["reports"] == [{"week": "2026-W23", "posted_at": local(2026, 6, 10, 12, 0).isoformat()}]


def test_cli_refuses_a_week_that_has_not_ended(runtime, settings, config, slack, capsys):
    seed_year(runtime)
    with freeze_time(local(2026, 6, 7, 23, 30)):  # Sunday night, team time: 2026-W23 is not over
        assert weekly_report.run(settings, config, week="2026-W23", dry_run=False, chart_file=None) == 2
        assert "2026-W23 has not ended yet" in capsys.readouterr().err
        assert weekly_report.run(settings, config, week="2031-W10", dry_run=False, chart_file=None) == 2
        assert weekly_report.run(settings, config, week="2026-W23", dry_run=True, chart_file=None) == 0
    assert slack.calls == []
    assert exported(runtime)["reports"] == []


def test_cli_says_when_slack_refused_the_report_and_leaves_the_week_to_post_again(
    runtime, settings, config, slack, capsys
):
    seed_year(runtime)
    slack.fail("chat.postMessage", error="not_in_channel")  # the report itself, sent first
    with freeze_time(local(2026, 6, 10, 12, 0)):
        assert weekly_report.run(settings, config, week=None, dry_run=False, chart_file=None) == 1
        err = capsys.readouterr().err
        assert "Slack refused the report for 2026-W23 in C0STAFF (not_in_channel)" in err
        assert "run this again" in err
        assert _report_posts(slack) == []
        assert exported(runtime)["reports"] == []
        # What did reach Slack (the chart, the author's question) stays sent.
        assert len(_weekly_charts(slack)) == 1
        assert len([c for c in slack.posts("U0BEN") if "stand out" in c.text]) == 1

        assert weekly_report.run(settings, config, week=None, dry_run=False, chart_file=None) == 0
        assert "posted the report for 2026-W23" in capsys.readouterr().out
    assert len(_report_posts(slack)) == 1
    assert len(_weekly_charts(slack)) == 1  # never twice
    assert len([c for c in slack.posts("U0BEN") if "stand out" in c.text]) == 1
    assert [r["week"] for r in exported(runtime)["reports"]] == ["2026-W23"]


def test_cli_says_what_slack_refused_besides_the_report_and_what_waits(runtime, settings, config, slack, capsys):
    seed_year(runtime)
    slack.fail("files.getUploadURLExternal", error="missing_scope")
    with freeze_time(local(2026, 6, 10, 12, 0)):
        assert weekly_report.run(settings, config, week="2026-W23", dry_run=False, chart_file=None) == 1
    err = capsys.readouterr().err
    assert "posted the report for 2026-W23 in C0STAFF, but Slack refused: the chart (missing_scope)" in err
    assert len(_report_posts(slack)) == 1

    # A rate limit: the report waits, and its chart, in the same channel, waits behind it.
    slack.fail("chat.postMessage", status=429, retry_after=60)
    with freeze_time(local(2026, 6, 17, 12, 0)):
        assert weekly_report.run(settings, config, week="2026-W24", dry_run=False, chart_file=None) == 0
    out = capsys.readouterr().out
    assert "queued the report for 2026-W24 in C0STAFF: 0 message(s) sent, 2 waiting for Slack" in out
    assert [r["week"] for r in exported(runtime)["reports"]] == ["2026-W23", "2026-W24"]


# -- the Explain button ----------------------------------------------------------------------------
def _posted_with_an_ordinary_post_by_the_same_author(runtime) -> dict[str, int]:
    """seed_year's report posted, and U0BEN's second post of the week, which did not stand out."""
    ids = seed_year(runtime)
    with runtime.session_factory() as session:
        ids["ordinary"] = publish(
            session,
            ts="1790000004.000100",
            account="instagram",
            at=datetime(2026, 6, 4, 10, 0, tzinfo=UTC),
            impressions=1000,
            engagements=20,
            author="U0BEN",
        ).id
        session.commit()
    run_jobs(runtime, local(2026, 6, 1, 8, 0))
    run_jobs(runtime, DUE)
    return ids


def _explanation_form(text: str) -> dict:
    return {"explanation": {"value": {"type": "plain_text_input", "value": text}}}


def test_a_multiline_answer_is_quoted_once_per_line_in_the_thread(runtime, driver, sender, slack):
    ids = _posted_with_an_ordinary_post_by_the_same_author(runtime)
    sender.drain(DUE)
    value = f"2026-W23:{ids['standout']}"
    answer_text = "A customer's video\nposted at lunch\n> and reposted <!here>"
    assert (
        driver.submit_view(
            ViewId.REPORT_EXPLANATION, _explanation_form(answer_text), user="U0BEN", private_metadata=value
        ).status
        == 200
    )
    [answer] = [c for c in slack.posts("C0STAFF") if "on draft #" in c.text]
    assert answer.text.split("\n") == [
        f"<@U0BEN> on draft #{ids['standout']}:",
        ">A customer's video",
        ">posted at lunch",
        ">&gt; and reposted &lt;!here&gt;",
    ]


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        ("ordinary", "was not one of the standout posts of the report for 2026-W23"),
        ("2026-W22:standout", "There is no report for 2026-W22"),
        ("2026-W23:#999999", "was not one of the standout posts"),
        ("2026-W23:", "not one teambot sent"),
        ("garbage", "not one teambot sent"),
        ("2026-W99:standout", "not one teambot sent"),
        ("", "not one teambot sent"),
    ],
)
def test_a_forged_explain_button_gets_one_refusal_and_records_nothing(runtime, driver, sender, slack, value, refusal):
    ids = _posted_with_an_ordinary_post_by_the_same_author(runtime)
    sender.drain(DUE)
    value = {"ordinary": f"2026-W23:{ids['ordinary']}"}.get(value, value.replace("standout", str(ids["standout"])))
    slack.reset()
    assert driver.click(ActionId.REPORT_EXPLAIN, value, user="U0BEN").status == 200
    assert slack.of("views.open") == []
    [answer] = slack.ephemerals("U0BEN")
    assert refusal in answer.text

    reply = driver.submit_view(
        ViewId.REPORT_EXPLANATION, _explanation_form("It was the cat"), user="U0BEN", private_metadata=value
    )
    assert reply.json["response_action"] == "errors"
    assert refusal in reply.json["errors"]["explanation"]
    sender.drain()
    assert [c for c in slack.posts() if "on draft #" in c.text] == []
    with runtime.session_factory() as session:
        assert session.query(Explanation).count() == 0


def test_an_empty_forged_form_is_refused_for_what_it_names_not_for_its_text(runtime, driver, sender):
    ids = _posted_with_an_ordinary_post_by_the_same_author(runtime)
    reply = driver.submit_view(
        ViewId.REPORT_EXPLANATION, _explanation_form(" "), user="U0BEN", private_metadata=f"2026-W23:{ids['ordinary']}"
    )
    assert "was not one of the standout posts" in reply.json["errors"]["explanation"]
    reply = driver.submit_view(
        ViewId.REPORT_EXPLANATION, _explanation_form(" "), user="U0BEN", private_metadata=f"2026-W23:{ids['standout']}"
    )
    assert "Say in a sentence or two" in reply.json["errors"]["explanation"]


def test_the_standouts_a_report_named_stay_explainable_whatever_later_figures_say(runtime, driver, sender, slack):
    ids = _posted_with_an_ordinary_post_by_the_same_author(runtime)
    with runtime.session_factory() as session, session.begin():
        # A later import: the standout's figures turn out ordinary, and the ordinary post's do not.
        session.query(PostMetric).filter_by(draft_id=ids["standout"]).update({"engagements": 60})
        session.query(PostMetric).filter_by(draft_id=ids["ordinary"]).update({"engagements": 500})
    reply = driver.submit_view(
        ViewId.REPORT_EXPLANATION,
        _explanation_form("Timing"),
        user="U0BEN",
        private_metadata=f"2026-W23:{ids['standout']}",
    )
    assert reply.status == 200 and "errors" not in reply.json
    reply = driver.submit_view(
        ViewId.REPORT_EXPLANATION,
        _explanation_form("Luck"),
        user="U0BEN",
        private_metadata=f"2026-W23:{ids['ordinary']}",
    )
    assert "was not one of the standout posts" in reply.json["errors"]["explanation"]
    with runtime.session_factory() as session:
        assert [e.draft_id for e in session.query(Explanation)] == [ids["standout"]]


# -- catch-up ----------------------------------------------------------------------------------------
def test_the_very_first_start_posts_no_report_that_fell_due_before_it(runtime, sender, slack):
    seed_year(runtime)
    run_jobs(runtime, local(2026, 6, 8, 9, 30))  # first start, half an hour after 2026-W23's report fell due
    run_jobs(runtime, local(2026, 6, 10, 12, 0))  # later that week
    sender.drain()
    assert [c.text for c in slack.posts("C0STAFF") if "Weekly report" in c.text] == []
    run_jobs(runtime, local(2026, 6, 15, 9, 0, 5))  # the next report is posted as usual
    sender.drain()
    assert [c.text for c in slack.posts("C0STAFF") if "Weekly report" in c.text] == ["Weekly report 2026-W24"]
    assert [r["week"] for r in exported(runtime)["reports"]] == ["2026-W24"]


def test_after_an_outage_the_latest_due_report_is_posted_once(runtime, sender, slack):
    seed_year(runtime)
    run_jobs(runtime, local(2026, 6, 1, 8, 0))  # first start; 2026-W22's report falls due an hour later
    # Down from before Monday 1 June 09:00 to Wednesday 10 June: 2026-W22's report is a week late
    # (its week to catch up is over), 2026-W23's fell due on Monday 8 June and is caught up now.
    for _ in range(3):  # the first ticks after the restart, and a second replica
        run_jobs(runtime, local(2026, 6, 10, 12, 0))
    run_jobs(runtime, local(2026, 6, 14, 23, 0))  # and later that week
    sender.drain()
    assert [c.text for c in slack.posts("C0STAFF") if "Weekly report" in c.text] == ["Weekly report 2026-W23"]
    assert len([f for f in slack.shared_files("C0STAFF") if f["filename"].startswith("report-")]) == 1
    assert len([c for c in slack.posts("U0BEN") if "stand out" in c.text]) == 1
    assert exported(runtime)["reports"] == [{"week": "2026-W23", "posted_at": local(2026, 6, 10, 12, 0).isoformat()}]


# -- standouts below the usual, and the guards ---------------------------------------------------
def test_a_post_far_below_its_accounts_median_stands_out_and_its_author_is_asked(runtime, sender, slack, config):
    seed_year(runtime)
    at = datetime(2026, 6, 5, 10, 0, tzinfo=UTC)
    with runtime.session_factory() as session:
        # instagram's median is 2%: 1% is exactly one standout_factor-th of it, 1.1% is not enough.
        low = publish(
            session,
            ts="1790000010.000100",
            account="instagram",
            at=at,
            impressions=1000,
            engagements=10,
            author="U0PAT",
        )
        publish(
            session,
            ts="1790000011.000100",
            account="instagram",
            at=at,
            impressions=1000,
            engagements=11,
            author="U0LEAD",
        )
        session.commit()
        result = report.build(session, config, WEEK)
    below = [s for s in result.standouts if not s.above]
    assert [s.post.draft_id for s in below] == [low.id]
    run_jobs(runtime, local(2026, 6, 1, 8, 0))
    run_jobs(runtime, DUE)
    sender.drain(DUE)
    [posted] = [c for c in slack.posts("C0STAFF") if "Weekly report 2026-W23" in c.text]
    assert f"#{low.id}" in posted.all_text()
    assert "1.00% engagement, below the account's usual 2.00%" in posted.all_text()
    [dm] = [c for c in slack.posts("U0PAT") if "stand out" in c.text]
    assert "engaged far less than usual last week" in dm.text
    assert [c for c in slack.posts("U0LEAD") if "stand out" in c.text] == []


def _post(account: str, rate: float, day: int = 3) -> report.Post:
    return report.Post(day, "U0ANNA", account, datetime(2026, 6, day, tzinfo=UTC), 1000, round(rate * 1000))


def test_a_standout_needs_three_earlier_posts_on_its_account_and_a_median_above_zero(config):
    post = _post("x", 0.10)
    usual = [_post("x", 0.02, day) for day in (1, 2, 3)]
    assert report.standouts(config, [post], usual) != []
    assert report.standouts(config, [post], usual[:2]) == []  # two earlier posts are not enough
    assert report.standouts(config, [post], [_post("instagram", 0.02, d) for d in (1, 2, 3)]) == []
    silent = [_post("x", 0.0, day) for day in (1, 2, 3)]  # a median of 0: any post would be "far above"
    assert report.standouts(config, [post, _post("x", 0.0)], silent) == []


def test_a_mention_spike_needs_seven_days_of_figures_in_the_28_before():
    spike = WEEK + timedelta(days=1)
    days = report.Days()
    days.mentions["x"] = {spike - timedelta(days=n): 10 for n in range(1, 7)}  # six days before it
    days.mentions["x"][spike] = 500
    assert report.spikes(days, WEEK) == []
    days.mentions["x"][spike - timedelta(days=28)] = 10  # a seventh, the earliest the window holds
    assert [(s.day, s.mentions) for s in report.spikes(days, WEEK)] == [(spike, 500)]
    days.mentions["x"].pop(spike - timedelta(days=28))
    days.mentions["x"][spike - timedelta(days=29)] = 10  # one day too early: still six in the window
    assert report.spikes(days, WEEK) == []


def test_more_accounts_than_the_report_shows_point_to_the_dry_run():
    empty = report.Figures()
    accounts = {f"account{n:02d}": (empty, empty) for n in range(18)}
    result = report.Report("2026-W23", WEEK, empty, empty, accounts, [], [], [], [])
    text = json.dumps(blocks.report(result, {})[1], ensure_ascii=False)
    assert "account14" in text and "account15" not in text
    assert "…and 3 more accounts: `teambot report --dry-run` shows them all." in text


def test_a_report_slack_refused_is_posted_again_keeping_the_answers_already_given(
    runtime, settings, config, driver, sender, slack, capsys
):
    ids = seed_year(runtime)
    run_jobs(runtime, local(2026, 6, 2, 8, 0))  # first start (May's digest fell due before it)
    sender.drain()
    # The scheduled report alone (other jobs post at 09:00 too), refused by Slack.
    post_weekly_report(JobContext(config, runtime.session_factory, DUE))
    slack.fail("chat.postMessage", error="not_in_channel")
    sender.drain(DUE)
    assert _report_posts(slack) == []
    # The author was asked all the same, and answers before anyone fixes the channel.
    value = f"2026-W23:{ids['standout']}"
    with freeze_time(local(2026, 6, 9, 10, 0)):
        reply = driver.submit_view(
            ViewId.REPORT_EXPLANATION, _explanation_form("Timing"), user="U0BEN", private_metadata=value
        )
    assert reply.status == 200 and "errors" not in reply.json
    with freeze_time(local(2026, 6, 10, 12, 0)):
        assert weekly_report.run(settings, config, week=None, dry_run=False, chart_file=None) == 0
    assert "posted the report for 2026-W23" in capsys.readouterr().out
    assert len(_report_posts(slack)) == 1 and len(_weekly_charts(slack)) == 1
    assert len([c for c in slack.posts("U0BEN") if "stand out" in c.text]) == 1
    with runtime.session_factory() as session:
        assert [(e.draft_id, e.text) for e in session.query(Explanation)] == [(ids["standout"], "Timing")]
    # The author can still change the answer; and the week is now posted, once.
    reply = driver.submit_view(
        ViewId.REPORT_EXPLANATION, _explanation_form("Timing, mostly"), user="U0BEN", private_metadata=value
    )
    assert "errors" not in reply.json
    with freeze_time(local(2026, 6, 10, 13, 0)):
        assert weekly_report.run(settings, config, week=None, dry_run=False, chart_file=None) == 1
    assert "already posted on 2026-06-10 12:00" in capsys.readouterr().err


def test_more_mention_spikes_than_the_report_shows_are_counted():
    empty = report.Figures()
    spikes = [report.Spike(f"account{n:02d}", WEEK, 500, 10) for n in range(13)]
    result = report.Report("2026-W23", WEEK, empty, empty, {}, [], [], spikes, [])
    text = json.dumps(blocks.report(result, {})[1], ensure_ascii=False)
    assert "account09" in text and "account10" not in text
    assert "…and 3 more" in text


def test_account_figures_imported_under_another_case_count_for_the_configured_account(runtime):
    config = make_config(accounts=[{"name": "instagram", "network": "instagram"}])
    with runtime.session_factory() as session:
        publish(
            session,
            ts="1790000001.000100",
            account="instagram",
            at=datetime(2026, 6, 3, 10, 0, tzinfo=UTC),
            impressions=1000,
            engagements=50,
        )
        for day, followers, mentions in ((WEEK - timedelta(days=1), 900, 5), (WEEK + timedelta(days=6), 1000, 7)):
            session.add(
                AccountDay(
                    day=day,
                    account="Instagram",  # as the tool's export writes it
                    followers=followers,
                    mentions=mentions,
                    recorded_at=DUE,
                    source="import",
                )
            )
        session.commit()
        result = report.build(session, config, WEEK)
    assert list(result.accounts) == ["instagram"]
    this, _ = result.accounts["instagram"]
    assert (this.posts, this.followers_gained, this.mentions) == (1, 100, 7)
