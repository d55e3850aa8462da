"""The outbox and its sender on the real databases, against the fake Web API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import utcnow
from bot.core.db import transaction
from bot.outbox.models import OutboxMessage, SlackMessage
from bot.outbox.queue import Outbox
from bot.outbox.sender import OutboxSender


def _enqueue(runtime, fn):
    with transaction(runtime.session_factory) as session:
        return fn(Outbox(session, utcnow()))


def test_dedupe_key_sends_once(runtime, sender, slack):
    assert _enqueue(runtime, lambda o: o.post("C1", "hello", dedupe="k1")) is True
    assert _enqueue(runtime, lambda o: o.post("C1", "hello", dedupe="k1")) is False
    sender.drain()
    sender.drain()
    assert [c.text for c in slack.posts("C1")] == ["hello"]


def test_rollback_sends_nothing(runtime, sender, slack):
    try:
        with transaction(runtime.session_factory) as session:
            Outbox(session, utcnow()).post("C1", "never")
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert sender.drain() == 0 and slack.posts() == []


def test_update_of_a_message_still_queued_uses_its_ts(runtime, sender, slack):
    def queue(outbox):
        outbox.post("C1", "v1", key="thing:1")
        outbox.update("thing:1", "v2")

    _enqueue(runtime, queue)
    sender.drain()
    posted = slack.posts("C1")[0]
    update = slack.of("chat.update")[0]
    with runtime.session_factory() as session:
        stored = session.get(SlackMessage, "thing:1")
    assert update.params["ts"] == stored.ts and update.text == "v2" and posted.text == "v1"


def test_dm_updates_go_to_the_dm_channel(runtime, sender, slack):
    _enqueue(runtime, lambda o: o.post("U0ANNA", "hi", key="dm:1"))
    sender.drain()
    _enqueue(runtime, lambda o: o.update("dm:1", "hi again"))
    sender.drain()
    assert slack.of("chat.update")[0].params["channel"] == "D0ANNA"


def test_permanent_error_is_recorded_and_does_not_block_the_channel(runtime, sender, slack):
    slack.fail("chat.postMessage", error="channel_not_found")
    _enqueue(runtime, lambda o: (o.post("C1", "first"), o.post("C1", "second")))
    sender.drain()
    assert [c.text for c in slack.posts("C1")] == ["second"]
    with runtime.session_factory() as session:
        statuses = session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)).all()
    assert statuses == ["failed", "sent"]


def test_retry_after_holds_only_that_channel(runtime, sender, slack):
    slack.fail("chat.postMessage", 429, retry_after=20)
    _enqueue(runtime, lambda o: (o.post("C1", "a1"), o.post("C1", "a2")))
    _enqueue(runtime, lambda o: o.post("C2", "b1"))
    sender.drain()
    assert [c.text for c in slack.posts()] == ["b1"]
    sender.drain(now=utcnow() + timedelta(seconds=10))
    assert [c.text for c in slack.posts()] == ["b1"]
    sender.drain(now=utcnow() + timedelta(seconds=21))
    assert [c.text for c in slack.posts()] == ["b1", "a1", "a2"]


def test_sender_knows_when_a_held_channel_is_due(runtime, sender, slack):
    # The worker sleeps until then instead of polling the database.
    slack.fail("chat.postMessage", 429, retry_after=20)
    _enqueue(runtime, lambda o: o.post("C1", "held"))
    start = utcnow()
    sender.drain(now=start)
    assert sender.earliest_held is not None
    assert timedelta(seconds=19) < sender.earliest_held - start <= timedelta(seconds=21)
    sender.drain(now=start + timedelta(seconds=21))
    assert [c.text for c in slack.posts()] == ["held"] and sender.earliest_held is None


def test_reposted_message_key_points_at_the_newest_post(runtime, sender, slack):
    def stored() -> tuple[str, str]:
        with runtime.session_factory() as session:
            message = session.get(SlackMessage, "thing:1")
            return message.channel, message.ts

    _enqueue(runtime, lambda o: o.post("C1", "first", key="thing:1"))
    sender.drain()
    first = stored()
    _enqueue(runtime, lambda o: o.post("C2", "second", key="thing:1"))
    sender.drain()
    second = stored()
    assert first[0] == "C1" and second[0] == "C2" and second[1] != first[1]


def test_two_senders_never_send_the_same_row(runtime, slack):
    _enqueue(runtime, lambda o: [o.post(f"C{i % 3}", f"m{i}") for i in range(30)])
    first = OutboxSender(runtime.session_factory, runtime.client, owner="one")
    second = OutboxSender(runtime.session_factory, runtime.client, owner="two")
    import threading

    threads = [threading.Thread(target=s.drain) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = [c.text for c in slack.posts()]
    assert sorted(texts) == sorted(f"m{i}" for i in range(30))
    for channel in ("C0", "C1", "C2"):
        numbers = [int(c.text[1:]) for c in slack.posts(channel)]
        assert numbers == sorted(numbers)


def test_expired_lease_is_taken_over(runtime, slack):
    _enqueue(runtime, lambda o: o.post("C1", "stuck"))
    crashed = OutboxSender(runtime.session_factory, runtime.client, owner="crashed")
    assert crashed._claim_heads(utcnow())  # claimed, then the process died before sending
    other = OutboxSender(runtime.session_factory, runtime.client, owner="other")
    assert other.drain() == 0
    assert other.drain(now=utcnow() + timedelta(seconds=61)) == 1
    assert [c.text for c in slack.posts()] == ["stuck"]


def _crash_after_slack_accepted(monkeypatch, sender):
    """The process dies after Slack accepted the post but before the row was marked sent."""

    class Killed(BaseException):
        pass

    def die(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(sender, "_record_sent", die)
    with pytest.raises(Killed):
        sender.drain()
    monkeypatch.undo()


@pytest.mark.parametrize("where", ["C1", "U0ANNA", "thread"])
def test_post_is_not_repeated_after_a_crash(runtime, slack, monkeypatch, where):
    def queue(outbox):
        if where == "thread":
            outbox.post("C1", "reply", thread_ts="1699999999.000001")
        else:
            outbox.post(where, "important")

    _enqueue(runtime, queue)
    crashed = OutboxSender(runtime.session_factory, runtime.client, owner="crashed")
    _crash_after_slack_accepted(monkeypatch, crashed)
    assert len(slack.posts()) == 1
    restarted = OutboxSender(runtime.session_factory, runtime.client, owner="restarted")
    assert restarted.drain() == 0  # the lease of the dead process still holds
    restarted.drain(now=utcnow() + timedelta(seconds=61))
    assert len(slack.posts()) == 1
    assert restarted.pending_count() == 0


def test_post_that_never_arrived_is_sent_after_a_crash(runtime, slack, monkeypatch):
    _enqueue(runtime, lambda o: o.post("C1", "lost"))
    crashed = OutboxSender(runtime.session_factory, runtime.client, owner="crashed")

    class Killed(BaseException):
        pass

    def die_before_the_call(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(crashed.client, "api_call", die_before_the_call)
    with pytest.raises(Killed):
        crashed.drain()
    monkeypatch.undo()
    assert slack.posts() == []
    OutboxSender(runtime.session_factory, runtime.client, owner="new").drain(now=utcnow() + timedelta(seconds=61))
    assert [c.text for c in slack.posts()] == ["lost"]


def test_server_error_after_posting_is_not_doubled(runtime, slack):
    """Slack answered 500 but the post went through: the retry finds it instead of posting again."""
    _enqueue(runtime, lambda o: o.post("C1", "maybe"))
    sender = OutboxSender(runtime.session_factory, runtime.client, owner="s")
    original = slack._answer

    def post_then_fail(method, params):
        status, body, headers = original(method, params)
        if method == "chat.postMessage":
            slack._answer = original
            return 500, {"ok": False, "error": "internal_error"}, {}
        return status, body, headers

    slack._answer = post_then_fail
    sender.drain()
    assert len(slack.posts()) == 1
    sender.drain(now=utcnow() + timedelta(seconds=5))
    assert len(slack.posts()) == 1 and sender.pending_count() == 0
