"""Faults: a day of work while Slack's Web API fails a third of the calls (500s, 429 with
Retry-After, and 500s for posts that did go through), then recovers — every post arrives exactly
once, in order per channel, and what could not be sent waits in the database meanwhile. And every
event type teambot handles, retried by Slack three more times with the same event_id, counts once."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.app import run_jobs
from bot.core.db import transaction
from bot.features.roles import service as roles
from bot.outbox.models import OutboxMessage, SlackMessage
from bot.outbox.sender import METADATA_EVENT
from bot.slack.ids import ActionId
from tests.conftest import _empty, make_config
from tests.helpers import exported

DRAFTS, IDEAS, ESCALATE, STAFF, CHECKLIST = "C0DRAFTS", "C0IDEAS", "C0ESCALATE", "C0STAFF", "C0CHECKLIST"
FAILING = ("chat.postMessage", "chat.update", "chat.postEphemeral")
# Monday 1 April 2024, 08:50 in Budapest (UTC+2): the checklist, the digest for March and the
# weekday shift are all due at 09:00.
START = datetime(2024, 4, 1, 6, 50, tzinfo=UTC)
STEP = timedelta(seconds=30)
D1, D2 = "1711954260.000100", "1711954440.000200"


@pytest.fixture
def config():
    return make_config(
        checklists=[
            {
                "name": "daily",
                "cron": "0 9 * * mon-fri",
                "items": ["Check for a brewing crisis", "Compare mentions with a typical day"],
            }
        ],
        # The weekly report, also due at 09:00 on this Monday, posts in a channel of its own: the
        # staff channel holds the digest alone.
        report={"channel": "C0REPORTS"},
    )


# -- the day ---------------------------------------------------------------------------------------
@dataclass
class Day:
    """Drives the day: time moves in small steps; at each step the scheduler runs and the outbox is
    drained at that time (a failed call waits for its Retry-After or back-off)."""

    runtime: Any
    driver: Any
    sender: Any
    slack: Any
    clock: Any
    now: datetime = START
    # Every outbox row seen pending while Slack was failing: id -> (method, channel, text).
    held: dict[int, tuple[str, str, str]] | None = None

    def walk(self, until: datetime) -> None:
        while self.now < until:
            self.now = min(self.now + STEP, until)
            self.clock.move_to(self.now)
            run_jobs(self.runtime, self.now)
            self.sender.drain()
            self.note_pending()

    def note_pending(self) -> None:
        if self.held is None:
            return
        with self.runtime.session_factory() as session:
            for row in session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")):
                self.held[row.id] = (row.method, row.channel, row.payload.get("text") or "")

    def ts_of(self, key: str) -> str:
        with self.runtime.session_factory() as session:
            row = session.get(SlackMessage, key)
            assert row is not None, f"{key} was never posted"
            return row.ts


def reaction(user: str, emoji: str, channel: str, ts: str, *, added: bool = True, item_user: str | None = None):
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": emoji,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1711954000.000001",
    }


def run_day(day: Day, *, faulty: bool) -> None:
    slack, driver = day.slack, day.driver
    day.clock.move_to(START)
    run_jobs(day.runtime, START)  # the scheduler's first start
    if faulty:
        # Every third post and update fails (500, every sixth 429 with Retry-After); ephemerals
        # are rarer in a day, so every second one fails.
        slack.fail_one_in("chat.postMessage", 3)
        slack.fail_one_in("chat.update", 3)
        slack.fail_one_in("chat.postEphemeral", 2)
        # Posts that Slack makes but answers 500 for: a thread reply, a DM and a channel post.
        slack.fail_after_accepting("chat.postMessage", channel=DRAFTS)
        slack.fail_after_accepting("chat.postMessage", channel="U0CEO")
        slack.fail_after_accepting("chat.postMessage", channel=STAFF)
        day.held = {}

    day.walk(START + timedelta(minutes=1))
    driver.message(DRAFTS, "U0ANNA", "Spring campaign launch: 20% off all week :tulip:", D1)
    day.note_pending()
    day.walk(START + timedelta(minutes=2))
    driver.event(reaction("U0CONTENT", "white_check_mark", DRAFTS, D1, item_user="U0ANNA"))
    day.note_pending()
    day.walk(START + timedelta(minutes=3))
    driver.click(ActionId.APPROVE, "1", user="U0STRAT", channel=DRAFTS, thread_ts=D1)
    day.note_pending()
    day.walk(START + timedelta(minutes=4))
    driver.message(DRAFTS, "U0BEN", "Teaser for the webinar", D2)
    day.walk(START + timedelta(minutes=4, seconds=30))
    driver.event(reaction("U0PAT", "white_check_mark", DRAFTS, D2, item_user="U0BEN"))  # not a reviewer
    day.note_pending()
    driver.event(reaction("U0CONTENT", "x", DRAFTS, D2, item_user="U0BEN"))
    day.note_pending()
    day.walk(START + timedelta(minutes=5))
    driver.command("/idea", "A behind-the-scenes video of the support team", user="U0BEN")
    day.note_pending()

    # 09:00 team time: the checklist, the March digest and the shift change fall due.
    day.walk(START + timedelta(minutes=11))
    driver.command("/escalate", "high Customer threatens to go to the press", user="U0COMMUNITY")
    day.note_pending()
    day.walk(START + timedelta(minutes=15))
    idea_ts = day.ts_of("idea:1")
    for voter in ("U0ANNA", "U0LEAD", "U0PAT", "U0CONTENT", "U0BEN"):  # U0BEN is the author
        driver.event(reaction(voter, "+1", IDEAS, idea_ts, item_user="UBOT"))
        day.note_pending()
    # Nobody acknowledges for 15 minutes: the escalation climbs to the lead, who acknowledges.
    day.walk(START + timedelta(minutes=27))
    if faulty:
        # Slack asks teambot to hold off for five minutes; the acknowledgement still goes through.
        slack.fail("chat.postMessage", 429, retry_after=300)
    reply = driver.click(ActionId.ESCALATION_ACK, "1", user="U0LEAD", channel=ESCALATE)
    assert reply.status == 200
    day.note_pending()


def drain_after_recovery(day: Day) -> None:
    """Slack is back: drain with time moving on (past every Retry-After and back-off)."""
    for minutes in range(1, 60):
        if day.sender.pending_count() == 0:
            return
        day.sender.drain(now=day.now + timedelta(minutes=minutes))
    raise AssertionError(f"{day.sender.pending_count()} outbox rows still pending after an hour")


_SLACK_TS = re.compile(r"1700000\d{3}\.\d{6}")


def delivered(slack) -> dict[str, list[tuple[str, str, str]]]:
    """What reached each channel, in order: (method, text, blocks), with the fake's own message
    timestamps (which depend on how many calls were made) masked."""
    per_channel: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for call in slack.calls:
        if call.method in FAILING:
            blocks = json.dumps(call.blocks, sort_keys=True)
            per_channel[call.channel or ""].append((call.method, call.text, _SLACK_TS.sub("TS", blocks)))
    return dict(per_channel)


def outbox_ids(slack) -> list[int]:
    ids = []
    for call in slack.posts():
        metadata = call.params.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        assert metadata.get("event_type") == METADATA_EVENT
        ids.append(metadata["event_payload"]["outbox_id"])
    return ids


def test_a_day_while_slack_fails_delivers_everything_once_and_in_order(runtime, driver, sender, slack, engine):
    with freeze_time(START) as clock:
        # Both days start from the same store: the roles seeded at START.
        _empty(engine)
        with transaction(runtime.session_factory) as session:
            roles.seed(session, runtime.config.roles, START)
        # The same day with a healthy Slack, for comparison.
        baseline_day = Day(runtime, driver, sender, slack, clock)
        run_day(baseline_day, faulty=False)
        assert sender.pending_count() == 0
        baseline = delivered(slack)
        baseline_export = exported(runtime)

        _empty(engine)
        slack.reset()
        with transaction(runtime.session_factory) as session:
            roles.seed(session, runtime.config.roles, START)

        day = Day(runtime, driver, sender, slack, clock)
        run_day(day, faulty=True)
        # Slack failed calls of every kind, and what could not be sent waited in the database.
        for method in FAILING:
            assert slack.attempts(method) > len(slack.of(method)), method
        assert day.held, "nothing was ever held back"
        held_posts = {i for i, (method, _, _) in day.held.items() if method == "chat.postMessage"}
        held_methods = {method for method, _, _ in day.held.values()}
        assert held_methods == set(FAILING)
        with runtime.session_factory() as session:
            still_pending = session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending")).all()
        unsent_at_recovery = set(still_pending)
        # The three posts Slack made but answered 500 for were all tried (and must not double).
        assert [rule.remaining for rule in slack.accepted_failures] == [0, 0, 0]

        assert unsent_at_recovery, "nothing was waiting when Slack recovered"
        slack.heal()
        # Retry-After is honoured after the recovery too: the held DM waits its five minutes.
        sender.drain(now=day.now + timedelta(seconds=299))
        assert not any("acknowledged escalation #1" in c.text for c in slack.posts("U0BEN"))
        drain_after_recovery(day)
        assert sum("acknowledged escalation #1" in c.text for c in slack.posts("U0BEN")) == 1

    # Nothing lost, nothing doubled, nothing out of order — in every channel.
    faulty = delivered(slack)
    assert faulty.keys() == baseline.keys()
    for channel in baseline:
        assert faulty[channel] == baseline[channel], channel
    posted = outbox_ids(slack)
    assert len(posted) == len(set(posted))  # no outbox row posted twice
    assert held_posts <= set(posted)  # every held post arrived in the end
    with runtime.session_factory() as session:
        rows = session.execute(select(OutboxMessage.id, OutboxMessage.status)).all()
    assert {status for _, status in rows} == {"sent"}
    assert unsent_at_recovery <= {row_id for row_id, _ in rows}
    assert exported(runtime) == baseline_export

    # The day's milestones, each exactly once.
    def count(channel: str, needle: str, method: str = "chat.postMessage") -> int:
        return sum(1 for m, text, blocks in faulty.get(channel, []) if m == method and needle in text + blocks)

    assert count(CHECKLIST, "Check for a brewing crisis") == 1
    assert len(slack.posts(CHECKLIST)) == 1
    assert len(slack.posts(STAFF)) == 1 and len(slack.posts("U0CEO")) == 1
    assert count(ESCALATE, "threatens to go to the press") == 1
    assert sum("climbed to you (lead)" in c.text for c in slack.posts("U0LEAD")) == 1
    assert sum("acknowledged escalation #1" in c.text for c in slack.ephemerals("U0LEAD")) == 1
    assert len(slack.posts(IDEAS)) == 1
    idea_updates = [c for c in slack.of("chat.update") if c.channel == IDEAS]
    assert len(idea_updates) == 4 and "Votes: *4*" in idea_updates[-1].all_text()
    assert sum("Add reason" in c.all_text() for c in slack.ephemerals("U0CONTENT")) == 1
    draft_thread = [c for c in slack.posts(DRAFTS) if c.params.get("thread_ts") == D1]
    assert len(draft_thread) == 3  # the status message, "step 1 done", "approved"
    final = exported(runtime)
    assert [d["status"] for d in final["drafts"]] == ["approved", "rejected"]
    assert [(e["status"], e["level"], e["assignee"]) for e in final["escalations"]] == [
        ("acknowledged", "lead", "U0LEAD")
    ]
    assert [(i["votes"], i["author"]) for i in final["ideas"]] == [(4, "U0BEN")]
    assert [r["checklist"] for r in final["checklist_runs"]] == ["daily"]
    assert [d["month"] for d in final["digests"]] == ["2024-03"]


# -- Slack's retries of every event type --------------------------------------------------------
GENERAL = "C0GENERAL"
DRAFT_TS = "1711954999.000500"
PEOPLE_MESSAGE_TS = "1711955000.000600"


def _message(ts: str = DRAFT_TS, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": DRAFTS,
        "channel_type": "channel",
        "user": "U0ANNA",
        "text": "Autumn collection teaser",
        "ts": ts,
        "event_ts": ts,
        **extra,
    }


def _draft(driver) -> None:
    driver.event(_message())


def _approved_step_one(driver) -> None:
    _draft(driver)
    driver.event(reaction("U0CONTENT", "white_check_mark", DRAFTS, DRAFT_TS, item_user="U0ANNA"))


def _people_message(slack) -> None:
    """A person's message in a channel, which conversations.history returns when teambot reads it."""
    slack.messages.setdefault(GENERAL, []).append(
        {"ts": PEOPLE_MESSAGE_TS, "text": "The app crashes on login for everyone", "user": "U0ANNA", "thread_ts": None}
    )


def _idea(driver) -> str:
    driver.command("/idea", "Customer stories every Friday", user="U0BEN")
    with driver.sender.session_factory() as session:
        return session.get(SlackMessage, "idea:1").ts


def _history(data: dict, draft: int = 0) -> list[str]:
    return [h["action"] for h in data["drafts"][draft]["history"]]


@dataclass
class RetryCase:
    setup: Callable[[Any, Any], Any]
    event: Callable[[Any], dict[str, Any]]
    check: Callable[[dict[str, Any], Any], None]  # (export after, slack) — the effect happened once


def _check_new_draft(data, slack) -> None:
    assert [(d["ts"], d["status"]) for d in data["drafts"]] == [(DRAFT_TS, "pending")]
    assert len([c for c in slack.posts(DRAFTS) if c.params.get("thread_ts") == DRAFT_TS]) == 1


def _check_reset(data, slack) -> None:
    assert _history(data).count("reset") == 1
    assert data["drafts"][0]["steps"][0]["approved_by"] is None
    assert sum("edited" in c.text.lower() for c in slack.posts(DRAFTS)) == 1


def _check_withdrawn(data, slack) -> None:
    assert data["drafts"][0]["status"] == "withdrawn" and _history(data).count("withdrawn") == 1


def _check_approved(data, slack) -> None:
    assert _history(data).count("approved") == 1
    assert data["drafts"][0]["steps"][0]["approved_by"] == "U0CONTENT"


def _check_approval_withdrawn(data, slack) -> None:
    assert _history(data).count("approval_withdrawn") == 1
    assert data["drafts"][0]["steps"][0]["approved_by"] is None


def _check_decision(status: str):
    def check(data, slack) -> None:
        assert data["drafts"][0]["status"] == status
        assert _history(data).count(status) == 1
        assert sum("Add reason" in c.all_text() for c in slack.ephemerals("U0CONTENT")) == 1

    return check


def _check_escalation(data, slack) -> None:
    assert [(e["status"], e["reporter"]) for e in data["escalations"]] == [("open", "U0BEN")]
    assert len(slack.posts(ESCALATE)) == 1
    assert len(slack.ephemerals("U0BEN")) == 1  # "escalation #1 is posted", no "already escalated"


def _check_idea(data, slack) -> None:
    assert [(i["author"], i["submitted_by"]) for i in data["ideas"]] == [("U0ANNA", "U0BEN")]
    assert len(slack.posts(IDEAS)) == 1
    assert len(slack.ephemerals("U0BEN")) == 1


def _check_votes(votes: int, updates: int):
    def check(data, slack) -> None:
        assert data["ideas"][0]["votes"] == votes
        assert len(slack.of("chat.update")) == updates

    return check


def _idea_with_a_vote(driver, slack) -> str:
    idea_ts = _idea(driver)
    driver.event(reaction("U0ANNA", "+1", IDEAS, idea_ts, item_user="UBOT"))
    return idea_ts


def _previous() -> dict[str, Any]:
    return {"type": "message", "user": "U0ANNA", "text": "Autumn collection teaser", "ts": DRAFT_TS}


RETRY_CASES: dict[str, RetryCase] = {
    "message": RetryCase(lambda d, s: None, lambda _: _message(), _check_new_draft),
    "file_share": RetryCase(
        lambda d, s: None,
        lambda _: _message(subtype="file_share", files=[{"id": "F0IMAGE", "name": "teaser.png"}]),
        _check_new_draft,
    ),
    "message_changed": RetryCase(
        lambda d, s: _approved_step_one(d),
        lambda _: {
            "type": "message",
            "subtype": "message_changed",
            "channel": DRAFTS,
            "ts": "1711955100.000001",
            "message": {**_previous(), "text": "Autumn collection teaser v2"},
            "previous_message": _previous(),
        },
        _check_reset,
    ),
    "message_deleted": RetryCase(
        lambda d, s: _draft(d),
        lambda _: {
            "type": "message",
            "subtype": "message_deleted",
            "channel": DRAFTS,
            "ts": "1711955100.000002",
            "deleted_ts": DRAFT_TS,
            "previous_message": _previous(),
        },
        _check_withdrawn,
    ),
    "tombstone": RetryCase(
        lambda d, s: _draft(d),
        lambda _: {
            "type": "message",
            "subtype": "message_changed",
            "channel": DRAFTS,
            "ts": "1711955100.000003",
            "message": {"type": "message", "subtype": "tombstone", "text": "This message was deleted.", "ts": DRAFT_TS},
            "previous_message": _previous(),
        },
        _check_withdrawn,
    ),
    "approve_added": RetryCase(
        lambda d, s: _draft(d),
        lambda _: reaction("U0CONTENT", "white_check_mark", DRAFTS, DRAFT_TS, item_user="U0ANNA"),
        _check_approved,
    ),
    "approve_removed": RetryCase(
        lambda d, s: _approved_step_one(d),
        lambda _: reaction("U0CONTENT", "white_check_mark", DRAFTS, DRAFT_TS, added=False, item_user="U0ANNA"),
        _check_approval_withdrawn,
    ),
    "reject": RetryCase(
        lambda d, s: _draft(d),
        lambda _: reaction("U0CONTENT", "x", DRAFTS, DRAFT_TS, item_user="U0ANNA"),
        _check_decision("rejected"),
    ),
    "changes": RetryCase(
        lambda d, s: _draft(d),
        lambda _: reaction("U0CONTENT", "memo::skin-tone-3", DRAFTS, DRAFT_TS, item_user="U0ANNA"),
        _check_decision("changes_requested"),
    ),
    "escalation": RetryCase(
        lambda d, s: _people_message(s),
        lambda _: reaction("U0BEN", "rotating_light", GENERAL, PEOPLE_MESSAGE_TS, item_user="U0ANNA"),
        _check_escalation,
    ),
    "idea": RetryCase(
        lambda d, s: _people_message(s),
        lambda _: reaction("U0BEN", "bulb", GENERAL, PEOPLE_MESSAGE_TS, item_user="U0ANNA"),
        _check_idea,
    ),
    "vote_added": RetryCase(
        lambda d, s: _idea(d),
        lambda idea_ts: reaction("U0ANNA", "+1", IDEAS, idea_ts, item_user="UBOT"),
        _check_votes(1, updates=1),
    ),
    "vote_removed": RetryCase(
        _idea_with_a_vote,
        lambda idea_ts: reaction("U0ANNA", "+1", IDEAS, idea_ts, added=False, item_user="UBOT"),
        _check_votes(0, updates=2),
    ),
}


def _snapshot(runtime, slack) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    return exported(runtime), [(c.method, dict(c.params)) for c in slack.calls]


@pytest.fixture
def handled(monkeypatch) -> list[str]:
    """Every event that reached teambot's feature code (after the event_id claim)."""
    from bot.slack import events

    seen: list[str] = []
    on_reaction, on_message = events._reaction, events._message

    def counting_reaction(handlers, event, context, *, added):
        seen.append(event["type"])
        return on_reaction(handlers, event, context, added=added)

    def counting_message(handlers, event, context):
        seen.append(event.get("subtype") or "message")
        return on_message(handlers, event, context)

    monkeypatch.setattr(events, "_reaction", counting_reaction)
    monkeypatch.setattr(events, "_message", counting_message)
    return seen


@pytest.mark.parametrize("kind", list(RETRY_CASES))
def test_an_event_retried_three_times_counts_once(kind, driver, runtime, slack, handled):
    case = RETRY_CASES[kind]
    context = case.setup(driver, slack)
    handled.clear()
    before_export, before_calls = _snapshot(runtime, slack)
    event = case.event(context)
    event_id = f"EvRETRY{kind.upper()}"

    first = driver.event(event, event_id=event_id)
    assert first.status == 200
    after_export, after_calls = _snapshot(runtime, slack)
    assert after_export != before_export or len(after_calls) > len(before_calls), "the first delivery did nothing"
    case.check(after_export, slack)

    for retry_num in (1, 2, 3):
        retry = driver.event(event, event_id=event_id, retry_num=retry_num)
        assert retry.status == 200
    # The retries were dropped by their event_id before any feature saw them: nothing changed,
    # nothing was sent.
    assert handled == [event.get("subtype") or event["type"]]
    assert _snapshot(runtime, slack) == (after_export, after_calls)
    case.check(after_export, slack)
