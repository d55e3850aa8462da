"""The monthly digest: ranking, month boundaries in the team's zone, once per month, the leaders'
summary, a constant number of queries, and `teambot digest`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import event, select

from bot.app import export_all, run_jobs
from bot.cli import reports as digest_cli
from bot.features.approvals.models import DraftReaction
from bot.features.checklists.models import ChecklistItem, ChecklistRun
from bot.features.digest import notices as digest_notices
from bot.features.digest import service as digest
from bot.features.digest.models import DigestRecord
from bot.features.escalations.models import Escalation
from bot.features.handoffs.models import Handoff
from bot.features.ideas.models import Idea, IdeaVote
from bot.features.metrics.models import PostMetric
from tests.conftest import make_config
from tests.helpers import BUDAPEST, add_draft, local, tick

STAFF = "C0STAFF"


@pytest.fixture
def config():
    return make_config(
        digest={"leaders": ["U0CEO", "U0COO"], "top": 3, "samples": 1},
        checklists=[{"name": "daily", "cron": "0 9 * * mon-fri", "items": ["Check for a brewing crisis"]}],
        # The weekly report (also due on a Monday at 09:00) goes to a channel of its own here, so the
        # staff channel holds only what these tests are about: the digest.
        report={"channel": "C0REPORTS"},
    )


def _ts(n: int) -> str:
    return f"1700000000.{n:06d}"


def seed_month(runtime) -> dict[str, int]:
    """May 2026 (team time): four approved drafts, plus drafts just outside the month."""
    ids: dict[str, int] = {}
    with runtime.session_factory() as s, s.begin():
        created = local(2026, 5, 4, 10, 0)
        a = add_draft(
            s,
            ts=_ts(1),
            author="U0ANNA",
            text="Summer <!channel> launch ```code``` :sunny:",
            created_at=created,
            decided_at=created + timedelta(hours=2),
        )
        b = add_draft(
            s,
            ts=_ts(2),
            author="U0BEN",
            text="Meet the support team",
            created_at=created,
            decided_at=created + timedelta(hours=4),
        )
        c = add_draft(
            s,
            ts=_ts(3),
            author="U0PAT",
            text="Customer story",
            created_at=created,
            decided_at=local(2026, 5, 31, 23, 30),
        )
        d = add_draft(
            s,
            ts=_ts(4),
            author="U0ANNA",
            text="Workflow-only reactions",
            created_at=created,
            decided_at=created + timedelta(hours=10),
        )
        # 00:10 on 1 June in Budapest is still 31 May in UTC: June's, not May's.
        june = add_draft(s, ts=_ts(5), text="June post", created_at=created, decided_at=local(2026, 6, 1, 0, 10))
        april = add_draft(
            s, ts=_ts(6), text="April post", created_at=local(2026, 4, 30, 9), decided_at=local(2026, 4, 30, 23, 50)
        )
        add_draft(s, ts=_ts(7), text="Rejected", status="rejected", created_at=created, decided_at=created)
        s.add(
            PostMetric(
                draft_id=a.id, impressions=1000, engagements=100, clicks=9, recorded_at=created, source="command"
            )
        )
        s.add(
            PostMetric(
                draft_id=b.id, impressions=1000, engagements=50, clicks=None, recorded_at=created, source="import"
            )
        )
        s.add(
            PostMetric(
                draft_id=june.id, impressions=10, engagements=10, clicks=None, recorded_at=created, source="import"
            )
        )
        for user in ("U0A", "U0B", "U0C"):
            s.add(DraftReaction(draft_id=c.id, user_id=user, emoji="heart", added_at=created))
        for emoji in ("white_check_mark", "x", "memo", "rotating_light", "bulb", "+1"):
            s.add(DraftReaction(draft_id=d.id, user_id="U0A", emoji=emoji, added_at=created))
        s.add(DraftReaction(draft_id=d.id, user_id="U0B", emoji="fire", added_at=created))
        ids.update(a=a.id, b=b.id, c=c.id, d=d.id, june=june.id, april=april.id)

        idea1 = Idea(
            author="U0PAT",
            submitted_by="U0ANNA",
            text="Office dog <!here> series",
            status="accepted",
            created_at=local(2026, 5, 2, 9),
            decided_by="U0CONTENT",
            decided_at=local(2026, 5, 3, 9),
        )
        idea2 = Idea(
            author="U0BEN", submitted_by="U0BEN", text="Weekly tips", status="open", created_at=local(2026, 5, 5, 9)
        )
        idea3 = Idea(
            author="U0BEN", submitted_by="U0BEN", text="June idea", status="open", created_at=local(2026, 6, 1, 0, 5)
        )
        s.add_all([idea1, idea2, idea3])
        s.flush()
        for user in ("U0A", "U0B"):
            s.add(IdeaVote(idea_id=idea2.id, user_id=user, voted_at=created))
        s.add(IdeaVote(idea_id=idea1.id, user_id="U0C", voted_at=created))
        s.add(IdeaVote(idea_id=idea3.id, user_id="U0C", voted_at=created))

        esc = dict(team="support", severity="normal", via="command", reporter="U0ANNA", level=0, level_name="on_shift")
        s.add(
            Escalation(
                **esc,
                status="resolved",
                created_at=created,
                acknowledged_at=created + timedelta(minutes=10),
                resolved_at=created + timedelta(hours=2),
            )
        )
        s.add(
            Escalation(
                **esc, status="acknowledged", created_at=created, acknowledged_at=created + timedelta(minutes=30)
            )
        )
        s.add(Escalation(**esc, status="open", created_at=local(2026, 6, 1, 0, 1)))
        s.add(
            Handoff(
                team="support",
                from_user="U0ANNA",
                to_user="U0BEN",
                kind="manual",
                created_at=created,
                acknowledged_at=created + timedelta(minutes=5),
            )
        )
        s.add(Handoff(team="support", from_user="U0BEN", to_user="U0ANNA", kind="manual", created_at=created))
        run = ChecklistRun(
            checklist="daily",
            due_wall="2026-05-04T09:00",
            due_at=local(2026, 5, 4, 9),
            posted_at=local(2026, 5, 4, 9),
            channel="C0CHECKLIST",
        )
        run.items = [
            ChecklistItem(position=0, text="a", done_by="U0ANNA", done_at=created),
            ChecklistItem(position=1, text="b"),
            ChecklistItem(position=2, text="c", done_by="U0BEN", done_at=created),
            ChecklistItem(position=3, text="d", done_by="U0BEN", done_at=created),
        ]
        s.add(run)
    return ids


# -- building --------------------------------------------------------------------------------------
def test_ranking_month_boundary_ideas_and_team_numbers(runtime, config):
    ids = seed_month(runtime)
    with runtime.session_factory() as session:
        data = digest.build(session, config, "2026-05")
    assert [p.draft_id for p in data.top] == [ids["a"], ids["b"], ids["c"]]
    assert data.top[0].rate == pytest.approx(0.1) and data.top[2].reactions == 3
    assert data.approvals == 4  # c decided at 23:30 on 31 May team time counts; June's and April's do not
    assert data.median_approve == timedelta(hours=7)  # 2 h, 4 h, 10 h and 27 days: the median is (4 + 10) / 2
    assert [i.text for i in data.top_ideas] == ["Weekly tips", "Office dog <!here> series"]
    assert [i.idea_id for i in data.accepted_ideas] == [1]
    assert (data.ideas_submitted, data.ideas_accepted) == (2, 1)
    assert (data.escalations, data.median_acknowledge, data.median_resolve) == (
        2,
        timedelta(minutes=20),
        timedelta(hours=2),
    )
    assert (data.handoffs, data.handoffs_acknowledged) == (2, 1)
    assert (data.checklist_runs, data.checklist_items, data.checklist_done) == (1, 4, 3)
    with runtime.session_factory() as session:
        june = digest.build(session, config, "2026-06")
    assert [p.draft_id for p in june.top] == [ids["june"]] and june.escalations == 1
    with runtime.session_factory() as session:
        april = digest.build(session, config, "2026-04")
    assert [p.draft_id for p in april.top] == [ids["april"]]


def test_reactions_rank_posts_without_figures_excluding_workflow_emoji(runtime, config):
    ids = seed_month(runtime)
    with runtime.session_factory() as session, session.begin():
        session.execute(PostMetric.__table__.delete())
    with runtime.session_factory() as session:
        data = digest.build(session, config, "2026-05")
    ranked = [p.draft_id for p in data.top]
    assert ranked[0] == ids["c"]  # three hearts
    assert ranked[1] == ids["d"]  # one fire; its six workflow reactions do not count
    assert data.top[1].reactions == 1


def test_empty_month_reads_zero(runtime, config):
    with runtime.session_factory() as session:
        data = digest.build(session, config, "2026-05")
    assert data.top == [] and data.approvals == 0 and data.escalations == 0 and data.handoffs == 0
    assert data.median_approve is None and data.checklist_items == 0


def test_query_count_is_constant_whatever_the_data_size(runtime, config, engine):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def queries() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            with runtime.session_factory() as session:
                digest.build(session, config, "2026-05")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    empty = queries()
    seed_month(runtime)
    with runtime.session_factory() as s, s.begin():
        for n in range(200):
            draft = add_draft(s, ts=_ts(1000 + n), created_at=local(2026, 5, 6, 9), decided_at=local(2026, 5, 7, 9))
            s.add(DraftReaction(draft_id=draft.id, user_id="U0X", emoji="tada", added_at=local(2026, 5, 7, 9)))
            s.add(
                Idea(
                    author="U0X",
                    submitted_by="U0X",
                    text=f"idea {n}",
                    status="accepted",
                    created_at=local(2026, 5, 8, 9),
                    decided_at=local(2026, 5, 9, 9),
                )
            )
    large = queries()
    assert empty == large
    assert large <= 10
    with runtime.session_factory() as session:
        data = digest.build(session, config, "2026-05")
    assert data.approvals == 204 and (data.ideas_accepted, len(data.accepted_ideas)) == (201, 20)
    from bot.features.digest.blocks import staff_digest

    _, blocks = staff_digest(data)
    assert "…and 181 more" in str(blocks) and len(blocks) <= 50


# -- posting ---------------------------------------------------------------------------------------
def test_posted_once_on_the_first_at_nine_with_samples_and_leader_dms(runtime, sender, slack):
    ids = seed_month(runtime)
    tick(runtime, sender, local(2026, 5, 20, 12, 0))  # the scheduler's first start
    tick(runtime, sender, local(2026, 6, 1, 8, 59, 55))
    assert slack.posts(STAFF) == []
    tick(runtime, sender, local(2026, 6, 1, 9, 0, 3))
    tick(runtime, sender, local(2026, 6, 1, 9, 0, 8))
    tick(runtime, sender, local(2026, 6, 20, 9, 0))
    [post] = slack.posts(STAFF)
    text = post.all_text()
    assert "Best of May 2026" in text
    assert text.index(f"#{ids['a']}*") < text.index(f"#{ids['b']}*") < text.index(f"#{ids['c']}*")
    assert "Ready to copy" in text and "```Summer" in text and "Meet the support team```" not in text
    assert "<!channel>" not in slack.everything_sent() and "<!here>" not in slack.everything_sent()
    assert "Office dog" in text and "<@U0PAT>" in text and "submitted by <@U0ANNA>" in text
    assert "Approved posts: *4*" in text and "Handoffs acknowledged: *1* of 2" in text and "75.0%" in text
    for leader in ("U0CEO", "U0COO"):
        [dm] = slack.posts(leader)
        assert "Social team summary — May 2026" in dm.text and "Approved posts: *4*" in dm.text
    with runtime.session_factory() as session:
        assert [r.month for r in session.scalars(select(DigestRecord))] == ["2026-05"]


def test_two_schedulers_post_once(runtime, sender, slack):
    import threading

    tick(runtime, sender, local(2026, 5, 20, 12, 0))
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
    assert len(slack.posts(STAFF)) == 1 and len(slack.posts("U0CEO")) == 1


def test_missed_digest_is_posted_any_time_within_its_month(runtime, sender, slack):
    tick(runtime, sender, local(2026, 5, 20, 12, 0))
    tick(runtime, sender, local(2026, 6, 29, 23, 0))  # down from 20 May to 29 June
    [post] = slack.posts(STAFF)
    assert "Best of May 2026" in post.all_text()


def test_missed_digest_is_not_posted_in_the_next_month(runtime, sender, slack):
    tick(runtime, sender, local(2026, 5, 20, 12, 0))
    tick(runtime, sender, local(2026, 7, 1, 8, 0))  # May's was due 1 June; it is July now
    assert slack.posts(STAFF) == []
    tick(runtime, sender, local(2026, 7, 1, 9, 0, 4))
    [post] = slack.posts(STAFF)
    assert "Best of June 2026" in post.all_text()


def test_first_start_posts_no_digest_due_before_it(runtime, sender, slack):
    tick(runtime, sender, local(2026, 6, 1, 9, 30))
    tick(runtime, sender, local(2026, 6, 2, 9, 0))
    assert slack.posts(STAFF) == []


# -- teambot digest --------------------------------------------------------------------------------
def test_cli_dry_run_prints_the_digest_without_posting(runtime, settings, config, slack, capsys):
    seed_month(runtime)
    with freeze_time(local(2026, 6, 1, 0, 30)):  # 31 May 22:30 UTC: the last complete month is May
        assert digest_cli.run(settings, config, month=None, dry_run=True) == 0
    out = capsys.readouterr().out
    assert "Best of May 2026" in out and "Ready to copy" in out and "Direct message to U0CEO" in out
    assert "Social team summary — May 2026" in out
    assert slack.calls == []
    with runtime.session_factory() as session:
        assert session.scalar(select(DigestRecord)) is None


def test_cli_posts_a_chosen_month_once(runtime, settings, config, slack, capsys):
    from datetime import date

    seed_month(runtime)
    assert digest_cli.run(settings, config, month=date(2026, 4, 1), dry_run=False) == 0
    assert "posted the digest for 2026-04" in capsys.readouterr().out
    [post] = slack.posts(STAFF)
    assert "Best of April 2026" in post.all_text() and "April post" in post.all_text()
    assert len(slack.posts("U0CEO")) == 1
    assert digest_cli.run(settings, config, month=date(2026, 4, 1), dry_run=False) == 1
    assert "already posted" in capsys.readouterr().err
    assert len(slack.posts(STAFF)) == 1


def test_cli_says_when_slack_refused_the_digest_and_leaves_the_month_to_post_again(
    runtime, settings, config, slack, capsys
):
    from datetime import date

    seed_month(runtime)
    slack.fail("chat.postMessage", error="not_in_channel")  # the staff post, sent first
    assert digest_cli.run(settings, config, month=date(2026, 4, 1), dry_run=False) == 1
    err = capsys.readouterr().err
    assert "refused the digest for 2026-04 in C0STAFF (not_in_channel)" in err and "run this again" in err
    with runtime.session_factory() as session:
        assert session.scalar(select(DigestRecord)) is None
    assert len(slack.posts("U0CEO")) == 1  # the leader's summary went out

    assert digest_cli.run(settings, config, month=date(2026, 4, 1), dry_run=False) == 0
    assert "posted the digest for 2026-04" in capsys.readouterr().out
    assert len(slack.posts(STAFF)) == 1 and len(slack.posts("U0CEO")) == 1  # never twice


def test_cli_says_what_is_left_waiting_for_slack_and_what_was_refused(runtime, settings, config, slack, capsys):
    from datetime import date

    from bot.outbox.models import OutboxMessage

    seed_month(runtime)
    slack.fail("chat.postMessage", status=429, retry_after=60)  # the staff post waits
    assert digest_cli.run(settings, config, month=date(2026, 4, 1), dry_run=False) == 0
    out = capsys.readouterr().out
    assert "queued the digest for 2026-04" in out and "2 message(s) sent, 1 waiting for Slack" in out

    with runtime.session_factory() as session, session.begin():
        staff = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "digest:2026-04:staff"))
        staff.status, staff.last_error = "sent", None
        leader = session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "U0CEO"))
        leader.status, leader.last_error = "failed", "user_not_found"
    with runtime.session_factory() as session:
        assert digest_notices.delivery(session, "2026-04") == digest_notices.Delivery(
            sent=2, refused={"U0CEO": "user_not_found"}
        )


def test_cli_stops_before_using_the_month_when_the_token_is_refused(runtime, settings, config, slack, capsys):
    from datetime import date

    from bot.core.errors import ConfigError

    seed_month(runtime)
    slack.fail("auth.test", error="invalid_auth")
    with pytest.raises(ConfigError, match="invalid_auth"):
        digest_cli.run(settings, config, month=date(2026, 4, 1), dry_run=False)
    with runtime.session_factory() as session:
        assert session.scalar(select(DigestRecord)) is None


def test_cli_refuses_to_post_a_month_that_has_not_ended(runtime, settings, config, slack, capsys):
    from datetime import date

    seed_month(runtime)
    with freeze_time(local(2026, 5, 20, 12, 0)):
        assert digest_cli.run(settings, config, month=date(2026, 5, 1), dry_run=False) == 2
        assert "2026-05 has not ended yet" in capsys.readouterr().err
        assert digest_cli.run(settings, config, month=date(2031, 7, 1), dry_run=False) == 2
        assert digest_cli.run(settings, config, month=date(2026, 5, 1), dry_run=True) == 0  # a preview is fine
    assert slack.calls == []
    with runtime.session_factory() as session:
        assert session.scalar(select(DigestRecord)) is None


def test_last_complete_month_is_in_team_time():
    assert digest.last_complete_month(datetime(2026, 5, 31, 22, 30, tzinfo=UTC), BUDAPEST) == "2026-05"
    assert digest.last_complete_month(datetime(2026, 5, 31, 21, 30, tzinfo=UTC), BUDAPEST) == "2026-04"
    assert digest.last_complete_month(datetime(2026, 1, 1, 0, 0, tzinfo=UTC), BUDAPEST) == "2025-12"
    assert digest.month_bounds("2026-12", BUDAPEST) == (local(2026, 12, 1), local(2027, 1, 1))


def test_export_shape(runtime, sender):
    tick(runtime, sender, local(2026, 5, 20, 12, 0))
    tick(runtime, sender, local(2026, 6, 1, 9, 0, 1))
    with runtime.session_factory() as session:
        assert export_all(session)["digests"] == [
            {"month": "2026-05", "posted_at": local(2026, 6, 1, 9, 0, 1).isoformat()}
        ]


def test_a_published_post_is_among_the_months_best_and_its_approval_counts(runtime, config):
    """A post marked published was approved first: being published does not take it out of the
    month it was approved in (it is the post the figures are about)."""
    created = local(2026, 5, 4, 10, 0)
    with runtime.session_factory() as s, s.begin():
        published = add_draft(
            s,
            ts=_ts(1),
            text="Published launch post",
            status="published",
            created_at=created,
            decided_at=created + timedelta(hours=3),
            published_url="https://x.com/team/status/1",
        )
        approved = add_draft(
            s, ts=_ts(2), text="Approved only", created_at=created, decided_at=created + timedelta(hours=1)
        )
        s.add(
            PostMetric(
                draft_id=published.id, impressions=1000, engagements=200, clicks=5, recorded_at=created, source="import"
            )
        )
        ids = (published.id, approved.id)
    with runtime.session_factory() as session:
        data = digest.build(session, config, "2026-05")
    assert [p.draft_id for p in data.top] == list(ids)
    assert data.top[0].published_url == "https://x.com/team/status/1"
    assert data.approvals == 2 and data.median_approve == timedelta(hours=2)


def test_a_sample_post_is_ready_to_copy_without_the_plan_written_at_its_start(runtime, sender, slack):
    """`[instagram, x] 2026-05-20 10:00 …` plans the draft; the post to copy is what follows it. A
    bracket that is no plan (the draft was never planned) stays part of the post."""
    from bot.features.calendar.models import Plan

    created = local(2026, 5, 4, 10, 0)
    with runtime.session_factory() as s, s.begin():
        planned = add_draft(
            s, ts=_ts(1), text="[instagram, x] 2026-05-20 10:00 Spring sale: 20% off", created_at=created
        )
        s.add(
            Plan(
                draft_id=planned.id,
                accounts="instagram,x",
                slot=local(2026, 5, 20, 10, 0),
                summary="Spring sale: 20% off",
                planned_by="U0ANNA",
                planned_at=created,
            )
        )
        s.add(PostMetric(draft_id=planned.id, impressions=100, engagements=50, recorded_at=created, source="import"))
        add_draft(s, ts=_ts(2), text="[fyi] our office dog", created_at=created)
    with runtime.session_factory() as session:
        data = digest.build(session, make_config(digest={"samples": 2}), "2026-05")
    assert [p.text for p in data.top] == ["Spring sale: 20% off", "[fyi] our office dog"]
    text = digest_notices.ui.staff_digest(data)[1]
    copied = [b["text"]["text"] for b in text if "Ready to copy" in str(b)]
    assert "```Spring sale: 20% off```" in copied[0] and "[instagram" not in str(text)
