"""`teambot import-metrics` with the tools' own exports (one sample file per tool in
tests/samples/metrics/), localized headers, addresses written every way, account figures per day,
and files that are not exports at all."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, insert, select

from bot.app import export_all
from bot.cli import reports as digest_cli
from bot.features.approvals.models import Draft
from bot.features.metrics.addresses import post_key
from bot.features.metrics.importers.numbers import BadNumber, parse_count, parse_day, parse_rate
from bot.features.metrics.imports import import_file
from bot.features.metrics.models import AccountDay, PostMetric
from tests.helpers import add_draft
from tests.test_metrics import metric

SAMPLES = Path(__file__).parent / "samples" / "metrics"


def published(runtime, *urls: str) -> list[int]:
    with runtime.session_factory() as session, session.begin():
        return [add_draft(session, ts=f"1700000000.0009{i:02d}", published_url=url).id for i, url in enumerate(urls)]


def figures(runtime, draft_id: int) -> tuple[int, int, int | None]:
    found = metric(runtime, draft_id)
    assert found is not None, f"no figures for draft #{draft_id}"
    return found.impressions, found.engagements, found.clicks


def imported(settings, path: Path, capsys) -> str:
    assert digest_cli.import_metrics(settings, path) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def metrics_count(runtime) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(PostMetric))


# -- one test per tool's export --------------------------------------------------------------------
def test_x_tweet_activity_export(runtime, settings, capsys):
    (launch,) = published(runtime, "https://x.com/acme/status/1766000000000000001?s=20")
    out = imported(settings, SAMPLES / "x_tweet_activity.csv", capsys)
    assert "X (tweet activity export)" in out and "clicks from `url clicks`" in out
    assert figures(runtime, launch) == (5400, 310, 42)
    assert "imported 1 row(s) for 1 draft(s)" in out and "skipped 1 row(s)" in out and "line 3" in out


def test_x_content_export(runtime, settings, capsys):
    (post,) = published(runtime, "https://mobile.twitter.com/someone_else/status/1766000000000000003")
    out = imported(settings, SAMPLES / "x_content.csv", capsys)
    assert "X (content export)" in out and "engagements from `Engagements`" in out
    assert figures(runtime, post) == (12034, 455, 37)


def test_facebook_from_meta_business_suite_uses_views_and_its_own_total(runtime, settings, capsys):
    (post,) = published(runtime, "https://m.facebook.com/111222333/posts/444555666/")
    out = imported(settings, SAMPLES / "facebook_meta.csv", capsys)
    assert "Facebook (Meta Business Suite)" in out
    assert "impressions from `Views`" in out and "engagements from `Reactions, Comments and Shares`" in out
    assert figures(runtime, post) == (8120, 412, 61)


def test_instagram_from_meta_business_suite_sums_likes_comments_shares_and_saves(runtime, settings, capsys):
    (reel,) = published(runtime, "https://www.instagram.com/p/DAbCdEfGhIj/?igsh=xyz")
    out = imported(settings, SAMPLES / "instagram_meta.csv", capsys)
    assert "Instagram (Meta Business Suite)" in out
    assert "summed from `Likes` + `Comments` + `Shares` + `Saves`" in out
    assert figures(runtime, reel) == (15300, 640 + 22 + 35 + 51, None)


def test_linkedin_page_content_export_is_read_from_the_xlsx_itself(runtime, settings, capsys):
    hiring, launch = published(
        runtime,
        "https://www.linkedin.com/posts/acme_hiring-activity-7300000000000000001-AbCd",
        "urn:li:activity:7300000000000000002",
    )
    out = imported(settings, SAMPLES / "linkedin_content.xlsx", capsys)
    assert "LinkedIn (page content export)" in out and 'XLSX sheet "All posts", header on line 2' in out
    assert "summed from `Likes` + `Comments` + `Reposts`" in out
    assert figures(runtime, hiring) == (3050, 120 + 14 + 9, 17)
    assert figures(runtime, launch) == (1520, 45 + 3 + 2, 22)


def test_tiktok_export_with_abbreviated_and_grouped_counts(runtime, settings, capsys):
    (unboxing,) = published(runtime, "https://m.tiktok.com/@acme/video/7412345678901234567?lang=en")
    out = imported(settings, SAMPLES / "tiktok.csv", capsys)
    assert "TikTok: impressions from `Total views`" in out
    assert figures(runtime, unboxing) == (18400, 1200 + 48 + 31, None)


def test_youtube_studio_table_matches_bare_video_ids_and_passes_over_the_total_row(runtime, settings, capsys):
    full, short = published(
        runtime, "https://youtu.be/dQw4w9WgXcQ?si=abc", "https://www.youtube.com/shorts/aBcDeFgHiJk"
    )
    out = imported(settings, SAMPLES / "youtube_studio_table.csv", capsys)
    assert "YouTube Studio" in out and "summed from `Likes` + `Comments added` + `Shares`" in out
    assert figures(runtime, full) == (76000, 470 + 55 + 40, None)
    assert figures(runtime, short) == (20000, 55 + 6 + 4, None)
    assert "imported 2 row(s)" in out and "skipped 1 row(s)" in out and "line 5" in out


def test_sprout_social_export_in_utf16_with_tabs(runtime, settings, capsys):
    fb, ig = published(
        runtime, "https://www.facebook.com/111222333/posts/444555666", "https://instagram.com/reel/DAbCdEfGhIj"
    )
    out = imported(settings, SAMPLES / "sprout_social.csv", capsys)
    assert "Sprout Social" in out and "clicks from `Post Link Clicks`" in out
    assert figures(runtime, fb) == (8120, 412, 61)
    assert figures(runtime, ig) == (15300, 749, None)


def test_hootsuite_export(runtime, settings, capsys):
    tweet, linkedin = published(
        runtime,
        "https://twitter.com/acme/status/1766000000000000001",
        "https://www.linkedin.com/feed/update/urn:li:activity:7300000000000000001/",
    )
    out = imported(settings, SAMPLES / "hootsuite.csv", capsys)
    assert "Hootsuite" in out and "clicks from `Link Clicks`" in out
    assert figures(runtime, tweet) == (5400, 310, 42)
    assert figures(runtime, linkedin) == (3050, 160, 17)


def test_buffer_export_sums_the_parts_where_its_total_is_empty(runtime, settings, capsys):
    reel, tour = published(runtime, "https://www.instagram.com/reel/DAbCdEfGhIj/", "https://vm.tiktok.com/ZMabcdef")
    out = imported(settings, SAMPLES / "buffer.csv", capsys)
    assert "Buffer" in out and "(where empty, summed from `Likes` + `Comments` + `Shares` + `Reposts`)" in out
    assert figures(runtime, reel) == (15300, 640 + 22 + 35 + 0, 0)
    assert figures(runtime, tour) == (9100, 661, 0)


# -- localized headers -----------------------------------------------------------------------------
LOCALIZED = [
    (
        "french_facebook.csv",
        "Identifiant de la publication;ID de la Page;Titre;Heure de publication;Permalien;Vues;Couverture;"
        "Réactions, commentaires et partages;Réactions;Commentaires;Partages;Total des clics;Clics sur un lien\n"
        "1_2;1;Lancement;03/06/2026 19:00;https://www.facebook.com/1/posts/2;1 234;900;55;40;10;5;20;12\n",
        "https://facebook.com/1/posts/2",
        "Facebook",
        (1234, 55, 12),
    ),
    (
        "german_instagram.csv",
        "Beitrags-ID;Konto-ID;Konto-Benutzername;Veröffentlichungszeitpunkt;Permalink;Aufrufe;Reichweite;"
        "„Gefällt mir“-Angaben;Kommentare;Geteilte Inhalte;Gespeichert\n"
        "9;8;acme;06.03.2026 19:00;https://www.instagram.com/p/XyZ/;2.500;1.900;120;7;3;10\n",
        "https://instagram.com/p/XyZ",
        "Instagram",
        (2500, 140, None),
    ),
    (
        "spanish_tiktok.csv",
        "Título del video,Hora de publicación,Enlace del video,Visualizaciones totales,Me gusta totales,"
        "Comentarios totales,Veces compartido\n"
        '"Peeling, en 30 segundos",2026-03-06 10:00:00,https://www.tiktok.com/@acme/video/7300000000000000009,'
        '"3,200",120,5,8\n',
        "https://www.tiktok.com/@acme/video/7300000000000000009",
        "TikTok",
        (3200, 133, None),
    ),
    (
        "german_linkedin.csv",
        "Beitragstitel,Beitragslink,Beitragstyp,Gepostet von,Erstellt am,Impressionen,Klicks,Reaktionen,"
        "Kommentare,Reposts,Engagement-Rate\n"
        "Winterkampagne,https://www.linkedin.com/feed/update/urn:li:activity:7100000000000000077,Organisch,Anna,"
        '03.06.2026,"4.500",60,80,6,4,"2,1 %"\n',
        "https://www.linkedin.com/posts/acme_winter-activity-7100000000000000077-AbCd",
        "LinkedIn",
        (4500, 90, 60),
    ),
    (
        "spanish_linkedin.csv",
        "Título de la publicación,Enlace de la publicación,Publicado por,Impresiones,Clics,Reacciones,"
        "Comentarios,Veces compartido\n"
        "Invierno,https://www.linkedin.com/feed/update/urn:li:activity:7100000000000000078,Ana,2000,15,30,2,1\n",
        "urn:li:activity:7100000000000000078",
        "LinkedIn",
        (2000, 33, 15),
    ),
    (
        "french_x.csv",
        "Identifiant du Tweet,Permalien du Tweet,Texte du Tweet,heure,impressions,engagements,retweets,"
        "réponses,j'aime,clics sur l'URL\n"
        "1500000000000000001,https://twitter.com/acme/status/1500000000000000001,Bonjour,2026-03-06 10:00 +0000,"
        "1200.0,48.0,3.0,2.0,20.0,7.0\n",
        "https://x.com/acme/status/1500000000000000001",
        "X (tweet activity export)",
        (1200, 48, 7),
    ),
    (
        "french_youtube.csv",
        "Contenu,Titre de la vidéo,Heure de publication de la vidéo,Vues,Impressions,J'aime,Commentaires ajoutés,"
        "Partages\nTotal,,,900,5000,30,3,1\nZZZZZZZZZZZ,Lancement,6 mars 2026,900,5000,30,3,1\n",
        "https://www.youtube.com/watch?v=ZZZZZZZZZZZ&t=42",
        "YouTube Studio",
        (5000, 34, None),
    ),
]


@pytest.mark.parametrize(("name", "text", "url", "tool", "expected"), LOCALIZED, ids=[x[0] for x in LOCALIZED])
def test_localized_headers(runtime, settings, tmp_path, capsys, name, text, url, tool, expected):
    (draft,) = published(runtime, url)
    path = tmp_path / name
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    out = imported(settings, path, capsys)
    assert tool in out
    assert figures(runtime, draft) == expected


# -- how a file is written -------------------------------------------------------------------------
def test_title_rows_above_the_header_and_utf16_without_a_bom(runtime, settings, tmp_path, capsys):
    (post,) = published(runtime, "https://x.com/acme/status/42")
    path = tmp_path / "report.csv"
    text = (
        "Post performance report\nAcme, 1 March 2026 - 7 March 2026\n\n"
        "Date (GMT),Post ID,Network,Post Permalink,Impressions,Engagements,Engagement Rate,Link Clicks\n"
        '2026-03-02,42,X,https://twitter.com/acme/status/42,"1,234",1234.0,6.5%,7\n'
    )
    path.write_bytes(text.encode("utf-16-le"))
    out = imported(settings, path, capsys)
    assert "Hootsuite" in out and "header on line 4" in out
    assert figures(runtime, post) == (1234, 1234, 7)


def test_engagements_from_the_rate_when_a_tool_gives_nothing_else(runtime, settings, tmp_path, capsys):
    (post,) = published(runtime, "https://x.com/acme/status/43")
    path = tmp_path / "rate.csv"
    path.write_text("Post Permalink,Impressions,Engagement Rate\nhttps://x.com/acme/status/43,2000,6.5%\n")
    out = imported(settings, path, capsys)
    assert "engagements from `Engagement Rate` × impressions" in out
    assert figures(runtime, post) == (2000, 130, None)


def test_a_tool_export_is_all_or_nothing_with_bad_rows_by_line(runtime, settings, tmp_path, capsys):
    first, second = published(runtime, "https://x.com/a/status/1", "https://x.com/a/status/2")
    path = tmp_path / "bad.csv"
    path.write_text(
        "Export of 2026-03\n"
        "Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,URL Clicks\n"
        "1,2026-03-01,ok,https://x.com/a/status/1,100,1,5,0\n"
        "2,2026-03-01,bad,https://x.com/a/status/2,lots,1,5,0\n"
        "3,2026-03-01,huge,https://x.com/a/status/2,100,1,99999999999,0\n"
        "4,2026-03-01,minus,https://x.com/a/status/2,-5,1,5,0\n"
    )
    assert digest_cli.import_metrics(settings, path) == 1
    err = capsys.readouterr().err
    assert "read as X (content export)" in err
    assert "line 4: `Impressions` must be a whole number, not `lots`." in err
    assert "line 5: `Engagements` is too large" in err
    assert "line 6: `Impressions` must be a whole number, not `-5`." in err
    assert "line 3" not in err and "nothing was imported (3 bad row(s))" in err
    assert metric(runtime, first) is None and metric(runtime, second) is None


def test_two_drafts_recorded_at_one_post_are_a_conflict_on_that_line(runtime, settings, tmp_path, capsys):
    published(runtime, "https://x.com/a/status/7", "https://twitter.com/b/status/7")
    path = tmp_path / "clash.csv"
    path.write_text("Post Permalink,Impressions,Engagements\nhttps://x.com/a/status/7,10,1\n")
    assert digest_cli.import_metrics(settings, path) == 1
    assert "line 2: That URL is recorded for drafts" in capsys.readouterr().err


# -- bad input: one line, exit 2, nothing imported -------------------------------------------------
def test_a_file_from_an_unknown_tool_names_the_columns_found_and_those_needed(runtime, settings, tmp_path, capsys):
    path = tmp_path / "unknown.csv"
    path.write_text("Title,Reach,Saves\nHello,10,1\n")
    assert digest_cli.import_metrics(settings, path) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "missing column(s): draft_id or url, impressions, engagements" in err
    assert "(Title, Reach, Saves)" in err and "YouTube Studio" in err and "date, account" in err
    assert metrics_count(runtime) == 0


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("posts.xlsx", b"Post link,Impressions\nhttps://x.com/a/status/1,1\n", "is not an .xlsx spreadsheet"),
        ("broken.xlsx", b"PK\x03\x04 truncated zip", "is not an .xlsx spreadsheet"),
        ("picture.csv", bytes(range(256)) * 8, "holds binary data"),
        ("posts.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel (.xls) workbook; save it as .xlsx"),
        ("empty.csv", b"", "is empty"),
        ("blank.csv", b"\xef\xbb\xbf\r\n\r\n  \n", "is empty"),
    ],
)
def test_files_that_are_not_exports_get_one_line_and_exit_2(runtime, settings, tmp_path, capsys, name, content, said):
    published(runtime, "https://x.com/a/status/1")
    path = tmp_path / name
    path.write_bytes(content)
    assert digest_cli.import_metrics(settings, path) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and said in err and "Traceback" not in err
    assert metrics_count(runtime) == 0


def test_a_directory_and_bytes_that_are_not_utf8_halfway(runtime, settings, tmp_path, capsys):
    assert digest_cli.import_metrics(settings, tmp_path) == 2
    assert "is a directory" in capsys.readouterr().err
    (post,) = published(runtime, "https://x.com/a/status/1")
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"url,impressions,engagements\nhttps://x.com/a/status/1,1,1\nhttps://x.com/a/status/2,1,caf\xe9\n")
    assert digest_cli.import_metrics(settings, path) == 1
    assert "line 3: the file is not UTF-8 or UTF-16 text from here on" in capsys.readouterr().err
    assert metric(runtime, post) is None


# -- account figures per day -----------------------------------------------------------------------
def test_account_figures_per_day_are_imported_and_exported(runtime, settings, capsys):
    out = imported(settings, SAMPLES / "account_days.csv", capsys)
    assert "account figures per day: followers from `followers`, mentions from `mentions`" in out
    assert "imported 3 account-day(s) for 2 account(s)" in out
    with runtime.session_factory() as session:
        exported = export_all(session)["account_days"]
    assert [(d["date"], d["account"], d["followers"], d["mentions"]) for d in exported] == [
        ("2026-03-02", "@acme", 12480, 35),
        ("2026-03-02", "Acme LinkedIn", 8020, None),
        ("2026-03-03", "@acme", 12510, 41),
    ]
    assert exported[0]["source"] == "import" and exported[0]["recorded_at"]


def test_a_second_import_of_a_day_keeps_what_it_does_not_give(runtime, settings, tmp_path, capsys):
    first = tmp_path / "followers.csv"
    first.write_text("Date,Profile,Followers\n03/02/2026,@acme,100\n")
    imported(settings, first, capsys)
    second = tmp_path / "mentions.csv"
    second.write_text("Datum;Konto;Erwähnungen\n02.03.2026;@acme;7\n")
    imported(settings, second, capsys)
    with runtime.session_factory() as session:
        day = session.get(AccountDay, (date(2026, 3, 2), "@acme"))
        assert (day.followers, day.mentions) == (100, 7)


def test_bad_account_rows_are_reported_by_line_and_nothing_is_kept(runtime, settings, tmp_path, capsys):
    path = tmp_path / "days.csv"
    path.write_text(
        "date,account,followers,mentions\n"
        "2026-03-02,@acme,10,1\n"
        "someday,@acme,10,1\n"
        "2026-03-03,,10,1\n"
        "2026-03-04,@acme,,\n"
        "2026-02-30,@acme,1,1\n"
        f"2026-03-05,{'a' * 65},1,1\n"
    )
    assert digest_cli.import_metrics(settings, path) == 1
    err = capsys.readouterr().err
    assert "line 3: `date` is not a date: `someday`." in err
    assert "line 4: `account` is empty" in err
    assert "line 5: the row has neither followers nor mentions" in err
    assert "line 6: `date` is not a date" in err and "line 7: `account` is too long" in err
    with runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AccountDay)) == 0


def test_an_account_named_like_a_broadcast_is_kept_escaped(runtime, settings, tmp_path, capsys):
    path = tmp_path / "days.csv"
    path.write_text("date,account,followers\n2026-03-02,<!channel>,10\n")
    imported(settings, path, capsys)
    with runtime.session_factory() as session:
        assert session.scalar(select(AccountDay.account)) == "&lt;!channel&gt;"  # escaped once, on the way in
        assert export_all(session)["account_days"][0]["account"] == "<!channel>"  # and shown as written


# -- a bounded number of statements --------------------------------------------------------------
def seed_published(runtime, count: int) -> list[int]:
    with runtime.session_factory() as session, session.begin():
        at = datetime(2026, 3, 1, tzinfo=UTC)
        rows = [
            {"channel": "C0DRAFTS", "ts": f"1700000000.{n:06d}", "author": "U0ANNA", "text": "A post"}
            | {"files_signature": "", "status": "approved", "current_step": 0, "chain": "content_manager"}
            | {"created_at": at, "updated_at": at, "step_started_at": at, "decided_at": at}
            | {"published_url": f"https://twitter.com/acme/status/{10**18 + n}"}
            for n in range(count)
        ]
        session.execute(insert(Draft), rows)
        return list(session.scalars(select(Draft.id).order_by(Draft.id)))


def export_of(kind: str, ids: list[int]) -> str:
    if kind == "tool":  # X's content export, every post drafted in teambot
        lines = [f"{10**18 + n},https://x.com/acme/status/{10**18 + n},{100 + n},{n}" for n in range(len(ids))]
        return "Post id,Post Link,Impressions,Engagements\n" + "\n".join(lines) + "\n"
    if kind == "own":  # by id with where it was published (half of them moved), by permalink, by URL
        lines = [
            f"{i},https://x.com/acme/status/{10**18 + n + (n % 2) * 10**6},{n},1"
            if n % 3 == 0
            else f"https://acme.slack.com/archives/C0DRAFTS/p1700000000{n:06d},,{n},2"
            if n % 3 == 1
            else f",https://twitter.com/acme/status/{10**18 + n},{n},3"
            for n, i in enumerate(ids)
        ]
        return "draft_id,url,impressions,engagements\n" + "\n".join(lines) + "\n"
    lines = [f"{date(2025, 1, 1) + timedelta(days=n % 365)},account{n // 365},{n},{n % 7}" for n in range(len(ids))]
    return "date,account,followers,mentions\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", ["tool", "own", "account-days"])
def test_an_import_sends_as_many_statements_for_1200_rows_as_for_5(runtime, engine, tmp_path, kind):
    """Drafts are looked up and figures written in batches, never a statement per row: every
    draft's address is read once, drafts named by id or permalink 500 at a time, and the figures
    (and addresses) written in one batch each."""
    ids = seed_published(runtime, 1_200)

    def statements(rows: int) -> int:
        path = tmp_path / f"{kind}-{rows}.csv"
        path.write_text(export_of(kind, ids[:rows]))
        sent: list[str] = []
        listener = lambda *args: sent.append(args[2])  # noqa: E731 -- (conn, cursor, statement, ...)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            with runtime.session_factory() as session:
                outcome = import_file(session, path, datetime(2026, 3, 9, tzinfo=UTC))
                assert not outcome.errors and outcome.rows == rows
                session.rollback()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(sent)

    assert statements(5) == statements(400) == statements(1_200) <= 12


# -- addresses and numbers, without a database -----------------------------------------------------
@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://twitter.com/acme/status/123", "https://x.com/acme/status/123?s=20"),
        ("https://mobile.twitter.com/acme/status/123", "https://x.com/i/web/status/123"),
        ("https://www.linkedin.com/feed/update/urn:li:activity:700/", "urn:li:activity:700"),
        ("https://www.linkedin.com/posts/acme_launch-activity-700-AbCd?utm_source=share", "urn:li:activity:700"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10", "https://youtu.be/dQw4w9WgXcQ"),
        ("https://m.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube.com/embed/dQw4w9WgXcQ"),
        ("https://www.instagram.com/acme/reel/Abc_1/", "https://instagram.com/p/Abc_1"),
        ("https://m.facebook.com/1/posts/2", "https://www.facebook.com/1/posts/2/"),
        ("https://www.tiktok.com/@acme/video/99?is_from_webapp=1", "https://m.tiktok.com/v/99.html"),
    ],
)
def test_one_post_however_its_address_is_written(one, other):
    assert post_key(one) == post_key(other)


def test_bare_ids_count_only_for_the_network_a_tool_names():
    assert post_key("dQw4w9WgXcQ", "youtube") == post_key("https://youtu.be/dQw4w9WgXcQ")
    assert post_key("123", "x") == post_key("https://x.com/a/status/123")
    assert post_key("dQw4w9WgXcQ") != post_key("https://youtu.be/dQw4w9WgXcQ")
    assert post_key("https://x.com/a/status/1") != post_key("https://x.com/a/status/2")
    assert post_key("urn:li:share:5") != post_key("urn:li:activity:5")


@pytest.mark.parametrize(
    ("text", "count"),
    [
        *[("1,234", 1234), ("1.234", 1234), ("1 234", 1234), ("1\u202f234", 1234), ("5400.0", 5400)],
        *[("1,234.0", 1234), ("1.234,0", 1234), ("12", 12), ("1.2K", 1200), ("2M", 2_000_000)],
        *[(5400.0, 5400), (7, 7), ("0", 0)],
    ],
)
def test_counts_as_the_tools_write_them(text, count):
    assert parse_count(text) == count


@pytest.mark.parametrize("text", ["lots", "12.5", "-3", "6.5%", "1,23", "1..2", ",", "1,2345,6", True])
def test_what_is_not_a_count(text):
    with pytest.raises(BadNumber):
        parse_count(text)


def test_rates_and_days():
    assert parse_rate("6.5%") == pytest.approx(0.065)
    assert parse_rate("0.065") == pytest.approx(0.065)
    assert parse_rate("6,5 %") == pytest.approx(0.065)
    assert parse_rate(6.5) == pytest.approx(0.065)
    assert parse_day("2026-03-02") == date(2026, 3, 2)
    assert parse_day("03/02/2026") == date(2026, 3, 2)
    assert parse_day("03/02/2026", day_first=True) == date(2026, 2, 3)
    assert parse_day("25/02/2026") == date(2026, 2, 25)
    assert parse_day("02.03.2026") == date(2026, 3, 2)
    assert parse_day("Mon, Mar 02, 2026") == date(2026, 3, 2)
    assert parse_day("6 mars 2026") == date(2026, 3, 6)
    assert parse_day("3 de marzo de 2026") == date(2026, 3, 3)
    with pytest.raises(BadNumber):
        parse_day("2026-13-01")


def test_the_samples_are_kept_as_the_tools_write_them():
    # The encodings the samples exercise: UTF-8 with and without BOM, UTF-16 with BOM, .xlsx.
    assert (SAMPLES / "facebook_meta.csv").read_bytes().startswith(codecs.BOM_UTF8)
    assert not (SAMPLES / "x_content.csv").read_bytes().startswith(codecs.BOM_UTF8)
    assert (SAMPLES / "sprout_social.csv").read_bytes().startswith(codecs.BOM_UTF16_LE)
    assert (SAMPLES / "linkedin_content.xlsx").read_bytes().startswith(b"PK\x03\x04")
