"""/metrics and `teambot import-metrics`: figures by draft id, permalink or published URL."""

from __future__ import annotations

from sqlalchemy import select

from bot.cli import main as cli
from bot.cli import reports as digest_cli
from bot.features.approvals.models import Draft
from bot.features.metrics.models import PostMetric
from tests.helpers import add_draft


def drafts(runtime, n: int = 2) -> list[int]:
    with runtime.session_factory() as session, session.begin():
        return [add_draft(session, ts=f"1700000000.00010{i}").id for i in range(n)]


def metric(runtime, draft_id: int) -> PostMetric | None:
    with runtime.session_factory() as session:
        return session.get(PostMetric, draft_id)


def published_url(runtime, draft_id: int) -> str | None:
    with runtime.session_factory() as session:
        return session.scalar(select(Draft.published_url).where(Draft.id == draft_id))


# -- /metrics --------------------------------------------------------------------------------------
def test_records_by_id_and_a_newer_figure_replaces_the_older(driver, runtime):
    first, _ = drafts(runtime)
    reply = driver.command("/metrics", f"#{first} impressions=5,400 engagements=310 clicks=42", user="U0COMMUNITY")
    assert reply.json["response_type"] == "ephemeral"
    assert f"draft #{first}" in reply.text and "5.7%" in reply.text
    row = metric(runtime, first)
    assert (row.impressions, row.engagements, row.clicks, row.recorded_by) == (5400, 310, 42, "U0COMMUNITY")
    driver.command("/metrics", f"{first} impressions=6000 engagements=400", user="U0BEN")
    row = metric(runtime, first)
    assert (row.impressions, row.engagements, row.clicks, row.recorded_by) == (6000, 400, None, "U0BEN")


def test_records_by_permalink_and_remembers_the_published_url(driver, runtime):
    _, second = drafts(runtime)
    link = "<https://acme.slack.com/archives/C0DRAFTS/p1700000000000101>"
    url = "<https://www.instagram.com/p/abc?x=1&amp;y=2>"
    reply = driver.command("/metrics", f"{link} engagements=10 impressions=100 url={url}")
    assert "10.0%" in reply.text and "instagram.com/p/abc" in reply.text
    assert metric(runtime, second).impressions == 100
    assert published_url(runtime, second) == "https://www.instagram.com/p/abc?x=1&amp;y=2"
    # The published URL now names the draft too.
    driver.command("/metrics", "https://www.instagram.com/p/abc?x=1&amp;y=2 impressions=200 engagements=30")
    assert metric(runtime, second).impressions == 200


def test_url_of_another_draft_is_a_conflict(driver, runtime):
    first, second = drafts(runtime)
    driver.command("/metrics", f"{first} impressions=1 engagements=1 url=https://x.example/1")
    reply = driver.command("/metrics", f"{second} impressions=1 engagements=1 url=https://x.example/1")
    assert f"already recorded for draft #{first}" in reply.text
    # The same post written another way is the same address.
    reply = driver.command("/metrics", f"{second} impressions=1 engagements=1 url=http://www.X.example/1/?utm_source=a")
    assert f"already recorded for draft #{first}" in reply.text
    assert metric(runtime, second) is None
    reply = driver.command("/metrics", "https://x.example/1?si=abc impressions=500 engagements=50")
    assert f"draft #{first}" in reply.text and metric(runtime, first).impressions == 500


def test_an_address_recorded_for_two_drafts_asks_for_the_draft_id(driver, runtime):
    first, second = drafts(runtime)
    with runtime.session_factory() as session, session.begin():  # recorded before addresses were compared
        session.get(Draft, first).published_url = "https://x.example/p/1"
        session.get(Draft, second).published_url = "https://www.x.example/p/1/"
    reply = driver.command("/metrics", "https://x.example/p/1 impressions=5 engagements=1")
    assert f"recorded for drafts #{first} and #{second}" in reply.text and "Example" in reply.text


def test_a_figure_typed_wrong_is_named_even_when_another_is_missing(driver, runtime):
    (first,) = drafts(runtime, 1)
    reply = driver.command("/metrics", f"#{first} impressions=lots")
    assert "`impressions` must be a whole number, not `lots`" in reply.text
    assert metric(runtime, first) is None


def test_figures_and_links_too_large_for_the_store_are_refused(driver, runtime):
    drafts(runtime, 1)
    huge = driver.command("/metrics", "1 impressions=99999999999999999999 engagements=1")
    assert "`impressions` is too large" in huge.text and "Example" in huge.text
    long_url = "https://x.example/?" + "&a=1" * 130
    too_long = driver.command("/metrics", f"1 impressions=1 engagements=1 url={long_url}")
    assert "That link is too long" in too_long.text
    assert metric(runtime, 1) is None


def test_help_garbage_unknown_ids_and_channel_pings(driver, runtime, slack):
    drafts(runtime, 1)
    for text in ("", "help"):
        reply = driver.command("/metrics", text)
        assert "/metrics" in reply.text and "impressions=" in reply.text
    unknown = driver.command("/metrics", "99 impressions=1 engagements=1")
    assert "no draft #99" in unknown.text and "Example" in unknown.text
    assert "must be a whole number" in driver.command("/metrics", "1 impressions=lots engagements=1").text
    assert "`views=3` is not a figure" in driver.command("/metrics", "1 views=3 impressions=1 engagements=1").text
    assert "needs engagements=N" in driver.command("/metrics", "1 impressions=10").text
    assert "is given twice" in driver.command("/metrics", "1 impressions=1 impressions=2 engagements=1").text
    not_slack = driver.command(
        "/metrics", "<https://acme.slack.com/archives/C0OTHER/p1700000000999999> impressions=1 engagements=1"
    )
    assert "not a draft teambot knows" in not_slack.text
    bad_url = driver.command("/metrics", "1 impressions=1 engagements=1 url=ftp://x")
    assert "is not a link" in bad_url.text
    pinged = driver.command("/metrics", "<!channel> impressions=1 engagements=1")
    assert "<!channel>" not in pinged.body and "is not a draft id" in pinged.text
    pinged = driver.command("/metrics", "1 <!here>=1")
    assert "<!here>" not in pinged.body
    assert "<!channel>" not in slack.everything_sent()
    assert metric(runtime, 1) is None


# -- import-metrics ---------------------------------------------------------------------------------
def test_import_matches_by_id_url_and_permalink_and_ignores_unknown_columns(runtime, settings, tmp_path, capsys):
    with runtime.session_factory() as session, session.begin():
        by_id = add_draft(session, ts="1700000000.000201").id
        by_url = add_draft(session, ts="1700000000.000202", published_url="https://www.linkedin.com/feed/update/1").id
        by_link = add_draft(session, ts="1700000000.000203").id
    path = tmp_path / "metrics.csv"
    path.write_text(
        "\ufeffDraft ID,Network,Post URL,Impressions,Engagements,Link Clicks,Sentiment\n"
        f'{by_id},Instagram,https://www.instagram.com/p/new,"1,200",60,5,positive\n'
        ",LinkedIn,https://www.linkedin.com/feed/update/1,800,40,,neutral\n"
        ",Slack,https://acme.slack.com/archives/C0DRAFTS/p1700000000000203,100,9,1,\n"
        "\n",
        encoding="utf-8",
    )
    assert digest_cli.import_metrics(settings, path) == 0
    assert "imported 3 row(s) for 3 draft(s)" in capsys.readouterr().out
    assert (metric(runtime, by_id).impressions, metric(runtime, by_id).clicks) == (1200, 5)
    assert metric(runtime, by_id).source == "import"
    assert published_url(runtime, by_id) == "https://www.instagram.com/p/new"
    assert (metric(runtime, by_url).engagements, metric(runtime, by_url).clicks) == (40, None)
    assert metric(runtime, by_link).impressions == 100


def test_import_is_all_or_nothing_and_reports_bad_rows_by_line(runtime, settings, tmp_path, capsys):
    first, _ = drafts(runtime)
    path = tmp_path / "metrics.csv"
    path.write_text(
        "draft_id,impressions,engagements,clicks\n"
        f"{first},100,10,1\n"
        "999,100,10,1\n"
        '"#1",lots,10,1\n'
        ",100,10,1\n"
        "https://nowhere.example/x,5,1,\n",
        encoding="utf-8",
    )
    assert digest_cli.import_metrics(settings, path) == 1
    err = capsys.readouterr().err
    assert "line 3: There is no draft #999." in err
    assert "line 4: `impressions` must be a whole number" in err
    assert "line 5: the row has neither a draft id nor a URL" in err
    assert "line 6: No draft was published at that URL" in err
    assert "line 2" not in err and "nothing was imported" in err
    assert metric(runtime, first) is None


def test_import_reports_huge_numbers_long_links_and_url_clashes_by_line(runtime, settings, tmp_path, capsys):
    first, second = drafts(runtime)
    path = tmp_path / "metrics.csv"
    path.write_text(
        "draft_id,url,impressions,engagements\n"
        f"{first},,99999999999999999999,1\n"
        f"{first},https://x.example/?{'&a=1' * 130},1,1\n",
        encoding="utf-8",
    )
    assert digest_cli.import_metrics(settings, path) == 1
    err = capsys.readouterr().err
    assert "line 2: `impressions` is too large" in err and "line 3: That link is too long" in err
    assert "Traceback" not in err

    path.write_text(
        f"draft_id,url,impressions,engagements\n{first},https://x.example/1,1,1\n{second},https://x.example/1,2,2\n",
        encoding="utf-8",
    )
    assert digest_cli.import_metrics(settings, path) == 1
    assert "line 3: draft #" in capsys.readouterr().err


def test_import_missing_columns_and_missing_file(runtime, settings, tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text("post,reach\n1,2\n", encoding="utf-8")
    assert digest_cli.import_metrics(settings, path) == 1
    assert "line 1: missing column(s): draft_id or url, impressions, engagements" in capsys.readouterr().err
    assert digest_cli.import_metrics(settings, tmp_path / "nope.csv") == 2
    assert "does not exist" in capsys.readouterr().err


def test_import_through_the_command_line(runtime, settings, tmp_path, capsys, monkeypatch):
    first, _ = drafts(runtime)
    path = tmp_path / "m.csv"
    path.write_text(f"draft;impressions;engagements\n{first};300;30\n", encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli.main(["import-metrics", str(path)]) == 0
    assert metric(runtime, first).engagements == 30


def test_import_takes_the_separator_from_the_header_not_from_captions(runtime, settings, tmp_path, capsys):
    first, second = drafts(runtime)
    path = tmp_path / "m.csv"
    path.write_text(
        f'draft_id,impressions,engagements,caption\n{first},1200,60,"Mon; Tue; Wed; Thu; Fri; Sat; Sun; again"\n',
        encoding="utf-8",
    )
    assert digest_cli.import_metrics(settings, path) == 0
    path.write_text(f'\n\ndraft_id;impressions;engagements;caption\n{second};50;5;"one, two, three, four"\n')
    assert digest_cli.import_metrics(settings, path) == 0
    assert (metric(runtime, first).impressions, metric(runtime, second).impressions) == (1200, 50)


def test_import_reports_a_bad_row_at_the_line_it_starts_and_unreadable_files_without_a_traceback(
    runtime, settings, tmp_path, capsys
):
    first, _ = drafts(runtime)
    path = tmp_path / "m.csv"
    path.write_text(f'draft_id,impressions,engagements,caption\nx,1,1,"three\nline\ncaption"\n{first},1,1,ok\n')
    assert digest_cli.import_metrics(settings, path) == 1
    err = capsys.readouterr().err
    assert "line 2: " in err and "line 4" not in err

    path.write_text(f'draft_id,impressions,engagements,caption\n{first},1,1,ok\n{first},1,1,"{"x" * 140_000}"\n')
    assert digest_cli.import_metrics(settings, path) == 1
    err = capsys.readouterr().err
    assert "line 3: the file cannot be read from here on" in err and "Traceback" not in err
    assert metric(runtime, first) is None


def test_import_matches_a_url_however_the_tool_writes_it_and_skips_posts_teambot_never_saw(
    runtime, settings, tmp_path, capsys
):
    with runtime.session_factory() as session, session.begin():
        ig = add_draft(session, ts="1700000000.000301", published_url="https://www.instagram.com/p/abc").id
        fb = add_draft(
            session,
            ts="1700000000.000302",
            published_url="https://www.facebook.com/permalink.php?story_fbid=9&amp;id=4",
        ).id
    path = tmp_path / "tool.csv"
    path.write_text(
        "url,impressions,engagements\n"
        "HTTP://INSTAGRAM.COM/p/abc/?utm_source=ig_web&igshid=xyz,900,45\n"
        "https://facebook.com/permalink.php?id=4&story_fbid=9#top,300,3\n"
        "https://www.instagram.com/p/never-drafted,50,1\n"
        "https://www.facebook.com/permalink.php?story_fbid=10&id=4,70,2\n",
        encoding="utf-8",
    )
    assert digest_cli.import_metrics(settings, path) == 0
    out = capsys.readouterr().out
    assert "imported 2 row(s) for 2 draft(s)" in out and "skipped 2 row(s)" in out and "line 4, 5" in out
    assert (metric(runtime, ig).impressions, metric(runtime, fb).impressions) == (900, 300)
