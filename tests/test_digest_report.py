"""What the monthly digest takes from the weekly report: the chart of the weeks ending in its month,
uploaded once into the digest channel with alt text (or, without figures, a line saying why there is
none), and the standout posts' explanations quoted in the leaders' summary, escaped once."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from bot.app import run_jobs
from bot.cli import reports as digest_cli
from bot.cli import weekly_report as weekly_report_cli
from bot.cli.main import main
from bot.features.digest import service as digest
from bot.features.digest.blocks import leadership_message
from bot.features.digest.models import DigestRecord
from bot.features.report.models import Explanation, WeeklyReport
from bot.slack.blocks import SECTION_LIMIT
from bot.slack.ids import ActionId, ViewId
from tests.conftest import make_config
from tests.helpers import add_draft, local, tick
from tests.test_report import DUE, PNG, seed_year

STAFF, REPORTS = "C0STAFF", "C0REPORTS"
# May 2026's weeks: those ending on its Sundays (3, 10, 17, 24 and 31 May).
MAY_WEEKS = ["2026-W18", "2026-W19", "2026-W20", "2026-W21", "2026-W22"]
HOSTILE = "Our <!channel> trick & a <https://evil.example|https://bank.example> link <!subteam^S0ALL|@all>"


@pytest.fixture
def config():
    # The weekly report goes to a channel of its own, so the staff channel holds the digest alone.
    return make_config(
        digest={"leaders": ["U0CEO"]},
        report={"channel": REPORTS, "standout_factor": 2.0},
        kpis={"impressions": 1500, "engagement_rate": 0.03},
    )


def charts(slack, channel: str = STAFF) -> list[dict]:
    return [f for f in slack.shared_files(channel) if f["filename"].startswith("digest-")]


def first_start(runtime) -> None:
    run_jobs(runtime, local(2026, 5, 20, 12, 0))  # the scheduler's very first start


# -- which weeks -----------------------------------------------------------------------------------
def test_the_chart_shows_the_weeks_ending_in_the_month_each_week_in_one_month():
    assert [d.isoformat() for d in digest.chart_weeks("2026-05")] == [
        "2026-04-27",
        "2026-05-04",
        "2026-05-11",
        "2026-05-18",
        "2026-05-25",
    ]
    # February 2026 starts on a Sunday and ends on a Saturday: that last week is March's.
    assert digest.chart_weeks("2026-02") == [date(2026, 1, 26), date(2026, 2, 2), date(2026, 2, 9), date(2026, 2, 16)]
    year = [monday for month in range(1, 13) for monday in digest.chart_weeks(f"2026-{month:02d}")]
    assert year == [date(2025, 12, 29) + timedelta(weeks=n) for n in range(len(year))]  # no gap, no repeat
    assert digest.chart_weeks("2026-12")[-1] == date(2026, 12, 21)  # the week of 28 Dec ends in January


# -- the chart -------------------------------------------------------------------------------------
def test_the_scheduled_digest_uploads_its_chart_once_with_alt_text(runtime, sender, slack):
    seed_year(runtime)
    first_start(runtime)
    for at in (local(2026, 6, 1, 9, 0, 3), local(2026, 6, 1, 9, 0, 8), local(2026, 6, 20, 9, 0)):
        tick(runtime, sender, at)  # the due tick, a retried tick, a restart later in the month
    [post] = slack.posts(STAFF)
    assert "Best of May 2026" in post.all_text()
    assert "chart below shows impressions and engagement rate for the weeks ending in May 2026" in post.all_text()
    [shared] = charts(slack)
    assert shared["filename"] == "digest-2026-05.png"
    assert shared["title"] == "Impressions and engagement rate per week, May 2026 (2026-W18 to 2026-W22)"
    assert shared["content"].startswith(PNG) and len(shared["content"]) > 5000
    alt = shared["alt_txt"]
    assert alt.startswith("May 2026: Bar chart of impressions per week from 2026-W18 to 2026-W22: ")
    assert ", ".join(f"{week} 2,000" for week in MAY_WEEKS) in alt and "2026-W23" not in alt
    assert "Target line for impressions at 1,500" in alt and len(alt) <= 1000
    # The chart follows the digest it belongs to.
    staff = [c for c in slack.calls if c.method == "chat.postMessage" and c.channel == STAFF]
    complete = [c for c in slack.of("files.completeUploadExternal") if c.params.get("channel_id") == STAFF]
    assert slack.calls.index(staff[0]) < slack.calls.index(complete[0])


def test_replicas_at_the_same_moment_upload_one_chart(runtime, sender, slack):
    seed_year(runtime)
    first_start(runtime)
    barrier = threading.Barrier(3)

    def replica() -> None:
        barrier.wait()
        run_jobs(runtime, local(2026, 6, 1, 9, 0, 2))

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sender.drain()
    assert len(charts(slack)) == 1 and len(slack.posts(STAFF)) == 1


def test_a_month_without_figures_gets_no_chart_and_the_digest_says_why(runtime, sender, slack):
    with runtime.session_factory() as session, session.begin():
        add_draft(session, ts="1700000000.000001", text="No figures", decided_at=local(2026, 5, 12, 10))
    first_start(runtime)
    tick(runtime, sender, local(2026, 6, 1, 9, 0, 3))
    [post] = slack.posts(STAFF)
    assert "No chart this month: no post figures were recorded for the weeks ending in May 2026" in post.all_text()
    assert "(2026-W18 to 2026-W22)" in post.all_text()
    assert slack.shared_files(STAFF) == []
    assert [f["filename"] for f in slack.shared_files()] == ["report-2026-W22.png"]  # the weekly report's own


def test_cli_posts_the_chart_once_and_a_second_run_uploads_nothing(runtime, settings, config, slack, capsys):
    seed_year(runtime)
    assert digest_cli.run(settings, config, month=date(2026, 5, 1), dry_run=False) == 0
    assert "posted the digest for 2026-05 in C0STAFF with its chart and to 1 leader(s)" in capsys.readouterr().out
    assert digest_cli.run(settings, config, month=date(2026, 5, 1), dry_run=False) == 1
    assert "already posted" in capsys.readouterr().err
    run_jobs(runtime, local(2026, 6, 1, 9, 0, 5))  # nor does the scheduler, when the month falls due
    [shared] = charts(slack)
    assert shared["filename"] == "digest-2026-05.png" and shared["alt_txt"].startswith("May 2026: Bar chart")


def test_cli_says_when_slack_refused_the_chart(runtime, settings, config, slack, capsys):
    seed_year(runtime)
    slack.fail("files.getUploadURLExternal", error="missing_scope")
    assert digest_cli.run(settings, config, month=date(2026, 5, 1), dry_run=False) == 1
    err = capsys.readouterr().err
    assert "posted the digest for 2026-05" in err and "but Slack refused: the chart (missing_scope)" in err
    assert len(slack.posts(STAFF)) == 1 and charts(slack) == []


def test_a_digest_posted_again_after_slack_refused_it_does_not_repeat_its_chart(
    runtime, settings, config, slack, capsys
):
    seed_year(runtime)
    slack.fail("chat.postMessage", error="not_in_channel")  # the staff post, sent first; the chart goes out
    assert digest_cli.run(settings, config, month=date(2026, 5, 1), dry_run=False) == 1
    assert "run this again" in capsys.readouterr().err
    assert len(charts(slack)) == 1
    assert digest_cli.run(settings, config, month=date(2026, 5, 1), dry_run=False) == 0
    assert len(slack.posts(STAFF)) == 1 and len(charts(slack)) == 1


def test_cli_dry_run_says_where_the_chart_would_go_and_writes_it(
    runtime, settings, slack, tmp_path, capsys, monkeypatch
):
    seed_year(runtime)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    config_file = tmp_path / "teambot.toml"
    config_file.write_text(
        '[channels]\ndrafts = "C0DRAFTS"\nescalations = "C0ESCALATE"\nideas = "C0IDEAS"\nchecklists = "C0CHECKLIST"\n'
        'digest = "C0STAFF"\n[digest]\nleaders = ["U0CEO"]\n'
    )
    monkeypatch.setenv("TEAMBOT_CONFIG", str(config_file))
    png = tmp_path / "may.png"
    assert main(["digest", "--month", "2026-05", "--dry-run", "--chart", str(png)]) == 0
    out = capsys.readouterr().out
    assert "# Chart digest-2026-05.png would be uploaded to C0STAFF: Impressions and engagement rate per week" in out
    assert "Alt text: May 2026: Bar chart of impressions per week from 2026-W18 to 2026-W22" in out
    assert png.read_bytes().startswith(PNG)

    empty = tmp_path / "march.png"
    assert main(["digest", "--month", "2026-03", "--dry-run", "--chart", str(empty)]) == 0
    captured = capsys.readouterr()
    assert "# No chart would be uploaded: no post figures for 2026-W09 to 2026-W13" in captured.out
    assert "No chart this month" in captured.out
    assert "--chart: no post figures for 2026-W09 to 2026-W13" in captured.err and not empty.exists()
    assert slack.calls == []

    assert main(["digest", "--month", "2026-05", "--dry-run", "--chart", str(tmp_path / "no" / "dir.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("teambot: --chart: cannot write") and "\n" not in err


def test_matplotlib_is_loaded_only_to_draw_a_chart():
    probe = "import sys, bot.app, bot.cli.main; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# -- the leaders' summary quotes the explanations ----------------------------------------------------
def test_an_explanation_given_through_the_button_is_quoted_once_in_the_next_summary(runtime, driver, sender, slack):
    ids = seed_year(runtime)
    run_jobs(runtime, local(2026, 6, 1, 8, 0))  # the scheduler's very first start
    tick(runtime, sender, DUE)  # week 23's report, and May's digest caught up
    [may] = slack.posts("U0CEO")
    assert "Social team summary — May 2026" in may.text and "stand out" not in may.all_text()

    value = f"2026-W23:{ids['standout']}"
    with freeze_time(local(2026, 6, 9, 10, 0)):
        driver.click(ActionId.REPORT_EXPLAIN, value, user="U0BEN")
        values = {"explanation": {"value": {"type": "plain_text_input", "value": HOSTILE}}}
        assert driver.submit_view(ViewId.REPORT_EXPLANATION, values, user="U0BEN", private_metadata=value).status == 200
    sender.drain()

    tick(runtime, sender, local(2026, 7, 1, 9, 0, 5))  # June's digest
    tick(runtime, sender, local(2026, 7, 1, 9, 0, 10))  # a retried tick
    may_again, june = slack.posts("U0CEO")
    assert may_again is may
    text = june.all_text()
    assert "Social team summary — June 2026" in june.text
    assert "What made posts stand out" in text and "(week 2026-W23)" in text and "by <@U0BEN>" in text
    assert f"draft #{ids['standout']}>" in text  # a link to the post
    # Typed in a form, escaped once on the way in and shown as typed: no broadcast, no forged link.
    assert "Our &lt;!channel&gt; trick &amp; a &lt;https://evil.example|https://bank.example&gt; link" in text
    assert "&amp;lt;" not in text and "&amp;amp;" not in text
    assert "<!channel>" not in text and "<!subteam" not in text and "<https://evil.example|" not in text
    assert len(charts(slack)) == 2  # May's and June's, one each


def seed_answers(runtime, answers: list[tuple[datetime, str]]) -> list[int]:
    """Explanations as `record_explanation` stores them (Slack's escaped form), one draft each."""
    draft_ids = []
    with runtime.session_factory() as session, session.begin():
        session.add(WeeklyReport(week="2026-W18", posted_at=local(2026, 5, 4, 9)))
        for n, (at, text) in enumerate(answers):
            draft = add_draft(session, ts=f"1700000100.{n:06d}", author="U0BEN", text=f"Post number {n} <!here>")
            session.add(Explanation(week="2026-W18", draft_id=draft.id, author="U0BEN", text=text, answered_at=at))
            draft_ids.append(draft.id)
    return draft_ids


def test_the_summary_quotes_what_was_answered_since_the_previous_summary(runtime, sender, slack):
    april, may, after_month = seed_answers(
        runtime,
        [
            (local(2026, 4, 20, 12), "Quoted in April's summary already"),
            (local(2026, 5, 10, 12), "A customer shared it"),
            (local(2026, 6, 1, 8, 0), "Answered on the 1st, before the digest"),
        ],
    )
    with runtime.session_factory() as session, session.begin():
        session.add(DigestRecord(month="2026-04", posted_at=local(2026, 5, 1, 9, 0, 5)))
    first_start(runtime)
    tick(runtime, sender, local(2026, 6, 1, 9, 0, 5))
    [dm] = slack.posts("U0CEO")
    text = dm.all_text()
    assert "A customer shared it" in text and "Answered on the 1st, before the digest" in text
    assert "Quoted in April's summary already" not in text
    assert f"draft #{may}>" in text and f"draft #{after_month}>" in text and f"draft #{april}>" not in text
    assert "<!here>" not in text  # the post's own words are defused too


def test_the_first_summary_ever_reaches_back_to_the_start_of_its_month(runtime):
    now = local(2026, 6, 1, 9)
    with runtime.session_factory() as session:
        assert digest.summary_window(session, make_config(), "2026-05", now) == (local(2026, 5, 1), now)
    with runtime.session_factory() as session, session.begin():
        session.add(DigestRecord(month="2026-05", posted_at=now))
        session.add(DigestRecord(month="2026-04", posted_at=local(2026, 5, 3, 12)))
    later = local(2026, 6, 15)
    with runtime.session_factory() as session:
        # A month already posted keeps the window it was posted with.
        assert digest.summary_window(session, make_config(), "2026-05", later) == (local(2026, 5, 3, 12), now)
        assert digest.summary_window(session, make_config(), "2026-06", later) == (now, later)


def test_forged_markup_in_a_stored_answer_is_defused_and_long_lists_are_cut(runtime, config):
    long_answer = "x " * 1000
    seed_answers(
        runtime,
        [(local(2026, 5, 2, 12), "<!here> look <https://evil.example|https://bank.example> <!subteam^S0ALL|@all>")]
        + [(local(2026, 5, 3, 12) + timedelta(minutes=n), long_answer) for n in range(24)],
    )
    with runtime.session_factory() as session:
        data = digest.prepare(session, config, "2026-05", local(2026, 6, 1, 9))
    assert len(data.explanations) == 25
    text, blocks = leadership_message(data)
    rendered = str(blocks)
    assert "<!here>" not in rendered and "<!subteam" not in rendered
    assert "<https://evil.example>" in rendered and "|https://bank.example>" not in rendered
    assert "…and 5 more" in rendered  # at most 20 shown
    assert len(blocks) <= 50 and all(len(b["text"]["text"]) <= SECTION_LIMIT for b in blocks if b["type"] == "section")
    # The 19 long answers shown are each cut short (an answer may be 2,000 characters).
    assert rendered.count("x…") == 19 and "x " * 151 not in rendered
    assert "Social team summary — May 2026" in text


def test_the_month_chart_and_answers_do_not_change_the_digest_built_alone(runtime, config):
    seed_year(runtime)
    with runtime.session_factory() as session:
        built = digest.build(session, config, "2026-05")
        prepared = digest.prepare(session, config, "2026-05", datetime(2026, 6, 1, 7, tzinfo=UTC))
    assert built.chart is None and built.explanations == []
    assert prepared.chart is not None and [p.week for p in prepared.chart.points] == MAY_WEEKS
    assert [p.impressions for p in prepared.chart.points] == [2000] * 5
    assert prepared.chart.points[0].engagement_rate == pytest.approx(0.02)
    assert (built.approvals, built.top) == (prepared.approvals, prepared.top)


def _staff_channel_set_in_slack(runtime, channel: str) -> None:
    from bot.features.settings import service as settings_service

    picked = {**runtime.config.channels.model_dump(), "digest": channel}
    with runtime.session_factory() as session:
        settings_service.save(
            session, runtime.config, settings_service.Submitted(channels=picked), by="U0STRAT", now=DUE
        )
        session.commit()


def test_the_cli_report_and_digest_go_to_the_staff_channel_set_in_slack(runtime, settings, slack, capsys):
    # Without a `[report].channel` of its own, the report goes to the staff channel, as the digest.
    config = make_config(digest={"leaders": ["U0CEO"]}, kpis={"impressions": 1500})
    runtime.config = config
    seed_year(runtime)
    _staff_channel_set_in_slack(runtime, "C0NEWSTAFF")
    with freeze_time(local(2026, 6, 10, 12, 0)):
        assert weekly_report_cli.run(settings, config, week=None, dry_run=False, chart_file=None) == 0
        assert "the report for 2026-W23 in C0NEWSTAFF" in capsys.readouterr().out
        assert digest_cli.run(settings, config, month=date(2026, 5, 1), dry_run=False) == 0
        assert "the digest for 2026-05 in C0NEWSTAFF" in capsys.readouterr().out
    assert [c.text for c in slack.posts("C0NEWSTAFF") if c.text.startswith("Weekly report")] == [
        "Weekly report 2026-W23"
    ]
    assert {f["filename"] for f in slack.shared_files("C0NEWSTAFF")} == {"report-2026-W23.png", "digest-2026-05.png"}
    assert slack.posts("C0STAFF") == [] and slack.shared_files("C0STAFF") == []
