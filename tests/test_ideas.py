"""Content ideas: /idea, the modal, the idea emoji, the shortcut, votes and triage."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.app import export_all
from bot.features.ideas.models import Idea, IdeaVote
from bot.outbox.models import SlackMessage
from bot.slack.ids import ActionId, ShortcutId, ViewId

IDEAS = "C0IDEAS"


@pytest.fixture
def history(slack):
    """People's messages, by (channel, ts), that conversations.history / conversations.replies return
    when asked for exactly that message (as teambot asks for a reacted message)."""
    messages: dict[tuple[str, str], dict] = {}
    original = slack._ok

    def _ok(method, params):
        if method in ("conversations.history", "conversations.replies"):
            found = messages.get((params.get("channel"), params.get("latest") or params.get("ts")))
            if found is not None:
                return {"ok": True, "messages": [found], "has_more": False}
        return original(method, params)

    slack._ok = _ok
    yield messages
    del slack._ok


def _ideas(runtime) -> list[Idea]:
    with runtime.session_factory() as session:
        return list(session.scalars(select(Idea).order_by(Idea.id)))


def _idea_ts(runtime, idea_id: int) -> str:
    with runtime.session_factory() as session:
        row = session.get(SlackMessage, f"idea:{idea_id}")
        assert row is not None and row.channel == IDEAS
        return row.ts


def _votes(runtime, idea_id: int) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(IdeaVote).where(IdeaVote.idea_id == idea_id))


def _view(call) -> dict:
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else view


def _last_idea_message(slack) -> str:
    calls = [c for c in slack.calls if c.channel == IDEAS and c.method in ("chat.postMessage", "chat.update")]
    return calls[-1].all_text()


# -- /idea ---------------------------------------------------------------------------------------
def test_idea_command_posts_in_ideas_channel_with_triage_buttons(driver, slack, runtime):
    reply = driver.command("/idea", "A behind-the-scenes video of support", user="U0ANNA")
    assert reply.json["response_type"] == "ephemeral" and "#1" in reply.text
    posts = slack.posts(IDEAS)
    assert len(posts) == 1
    text = posts[0].all_text()
    assert "Idea #1" in text and "<@U0ANNA>" in text and "behind-the-scenes" in text
    assert ActionId.IDEA_ACCEPT in text and ActionId.IDEA_DECLINE in text
    [idea] = _ideas(runtime)
    assert (idea.author, idea.submitted_by, idea.status) == ("U0ANNA", "U0ANNA", "open")


def test_idea_alone_opens_the_modal_and_submission_creates_idea(driver, slack, runtime):
    reply = driver.command("/idea", "", user="U0BEN", trigger_id="trig-1")
    assert reply.status == 200
    [opened] = slack.of("views.open")
    assert opened.params["trigger_id"] == "trig-1"
    view = _view(opened)
    assert view["callback_id"] == ViewId.IDEA
    assert {b["block_id"] for b in view["blocks"]} == {"title", "details", "network", "link"}

    values = {
        "title": {"value": {"type": "plain_text_input", "value": "Customer <!channel> stories & tips"}},
        "details": {"value": {"type": "plain_text_input", "value": "Short clips <https://evil.example|safe>"}},
        "network": {"value": {"type": "plain_text_input", "value": "Instagram"}},
        "link": {"value": {"type": "plain_text_input", "value": "https://example.com/brief?a=1&b=2"}},
    }
    reply = driver.submit_view(ViewId.IDEA, values, user="U0BEN")
    assert reply.status == 200 and "errors" not in reply.body
    [idea] = _ideas(runtime)
    assert idea.title == "Customer &lt;!channel&gt; stories &amp; tips"
    assert idea.network == "Instagram" and idea.link == "https://example.com/brief?a=1&amp;b=2"
    sent = slack.everything_sent()
    assert "<!channel>" not in sent and "<https://evil.example|safe>" not in sent
    assert any("#1" in c.text for c in slack.posts("U0BEN"))


def test_modal_rejects_a_bad_link_and_a_missing_title(driver, runtime):
    values = {
        "title": {"value": {"type": "plain_text_input", "value": "Title"}},
        "link": {"value": {"type": "plain_text_input", "value": "javascript:alert(1)"}},
    }
    reply = driver.submit_view(ViewId.IDEA, values)
    assert reply.json["response_action"] == "errors" and "link" in reply.json["errors"]
    reply = driver.submit_view(ViewId.IDEA, {"title": {"value": {"type": "plain_text_input", "value": " "}}})
    assert "title" in reply.json["errors"]
    assert _ideas(runtime) == []


def test_modal_fields_that_grow_past_their_limit_when_escaped_are_refused(driver, runtime):
    # 200 characters fit the form; escaped (& becomes &amp;) they no longer fit the 300 stored.
    values = {
        "title": {"value": {"type": "plain_text_input", "value": "Q&A " * 50}},
        "link": {"value": {"type": "plain_text_input", "value": "https://x.example/?" + "&a=1" * 95}},
    }
    reply = driver.submit_view(ViewId.IDEA, values)
    assert reply.json["response_action"] == "errors"
    assert set(reply.json["errors"]) == {"title", "link"} and "at most 300" in reply.json["errors"]["title"]
    assert _ideas(runtime) == []


def test_help_garbage_and_unknown_ids(driver, runtime):
    help_reply = driver.command("/idea", "help")
    assert "/idea" in help_reply.text and "/idea list top" in help_reply.text
    assert "takes nothing or `top`" in driver.command("/idea", "list everything").text
    unknown = driver.command("/idea", "accept 999", user="U0CONTENT")
    assert "no idea #999" in unknown.text and "Example" in unknown.text
    bad = driver.command("/idea", "accept abc", user="U0CONTENT")
    assert "`abc` is not an idea id" in bad.text
    assert "needs an idea id" in driver.command("/idea", "decline", user="U0CONTENT").text
    extra = driver.command("/idea", "accept 1 great one", user="U0CONTENT").text
    assert "takes only the idea id; `great one` is extra" in extra
    for text in ("list help", "accept help", "decline ?", "assign help"):
        reply = driver.command("/idea", text, user="U0CONTENT").text
        assert "*/idea*" in reply and "Examples" in reply, text
    assert _ideas(runtime) == []


def test_channel_ping_is_never_echoed(driver, slack, runtime):
    reply = driver.command("/idea", "Everyone look <!channel> <!here> <!subteam^S123|@team>", user="U0ANNA")
    assert "<!channel>" not in reply.body and "<!here>" not in reply.body and "<!subteam" not in reply.body
    sent = slack.everything_sent()
    assert "<!channel>" not in sent and "<!here>" not in sent and "<!subteam" not in sent
    listed = driver.command("/idea", "list")
    assert "<!channel>" not in listed.body and "#1" in listed.text


def test_list_and_list_top(driver, runtime):
    driver.command("/idea", "first idea", user="U0ANNA")
    driver.command("/idea", "second idea", user="U0BEN")
    driver.reaction("U0PAT", "+1", IDEAS, _idea_ts(runtime, 2))
    driver.reaction("U0LEAD", "+1", IDEAS, _idea_ts(runtime, 2))
    driver.reaction("U0PAT", "+1", IDEAS, _idea_ts(runtime, 1))
    top = driver.command("/idea", "list top").text
    assert top.index("#2") < top.index("#1") and "2 votes" in top
    driver.command("/idea", "accept 1", user="U0CONTENT")
    open_list = driver.command("/idea", "list").text
    assert "#2" in open_list and "#1" not in open_list


def test_a_long_list_counts_every_idea_it_does_not_show(driver, runtime):
    from datetime import UTC, datetime

    from sqlalchemy import insert

    now = datetime(2026, 5, 1, tzinfo=UTC)
    rows = [
        {"author": "U0ANNA", "submitted_by": "U0ANNA", "text": f"idea {i}", "status": "open", "created_at": now}
        for i in range(10_000)
    ]
    with runtime.session_factory() as session, session.begin():
        session.execute(insert(Idea), rows)
    assert "and 9,980 more" in driver.command("/idea", "list").text
    assert "and 9,980 more" in driver.command("/idea", "list top").text


# -- votes ---------------------------------------------------------------------------------------
def test_votes_one_per_person_author_excluded_skin_tones_folded(driver, slack, runtime):
    driver.command("/idea", "Weekly tips thread", user="U0ANNA")
    ts = _idea_ts(runtime, 1)
    driver.reaction("U0BEN", "+1", IDEAS, ts)
    driver.reaction("U0BEN", "+1::skin-tone-3", IDEAS, ts)
    driver.reaction("U0ANNA", "+1", IDEAS, ts)  # the author's own vote
    driver.reaction("U0PAT", "+1::skin-tone-5", IDEAS, ts)
    assert _votes(runtime, 1) == 2
    assert "Votes: *2*" in _last_idea_message(slack)
    driver.reaction("U0PAT", "+1::skin-tone-5", IDEAS, ts, added=False)
    assert _votes(runtime, 1) == 1
    assert "Votes: *1*" in _last_idea_message(slack)
    # Ben has two variants on: taking one off leaves his vote, taking the other off withdraws it.
    driver.reaction("U0BEN", "+1::skin-tone-3", IDEAS, ts, added=False)
    assert _votes(runtime, 1) == 1
    driver.reaction("U0BEN", "+1", IDEAS, ts, added=False)
    assert _votes(runtime, 1) == 0
    assert "Votes: *0*" in _last_idea_message(slack)
    # A +1 on a message that is not an idea post changes nothing.
    driver.reaction("U0PAT", "+1", IDEAS, "1699999999.000001")
    assert _votes(runtime, 1) == 0


def test_a_vote_from_before_variants_were_recorded_lasts_until_its_own_reaction_is_removed(driver, runtime):
    from bot.core.clock import utcnow
    from bot.features.ideas.models import IdeaVote, IdeaVoteReaction

    driver.command("/idea", "Weekly tips thread", user="U0ANNA")
    ts = _idea_ts(runtime, 1)
    with runtime.session_factory() as session, session.begin():  # as migration 0006 leaves it
        session.add(IdeaVote(idea_id=1, user_id="U0BEN", voted_at=utcnow()))
        session.add(IdeaVoteReaction(idea_id=1, user_id="U0BEN", reaction=""))
        session.add(IdeaVote(idea_id=1, user_id="U0PAT", voted_at=utcnow()))
        session.add(IdeaVoteReaction(idea_id=1, user_id="U0PAT", reaction=""))
    # Ben voted with a plain +1 then; he adds a variant now and takes it off again.
    driver.reaction("U0BEN", "+1::skin-tone-3", IDEAS, ts)
    driver.reaction("U0BEN", "+1::skin-tone-3", IDEAS, ts, added=False)
    assert _votes(runtime, 1) == 2
    driver.reaction("U0BEN", "+1", IDEAS, ts, added=False)
    assert _votes(runtime, 1) == 1
    # Pat voted with a skin-tone variant then: taking it off withdraws the vote.
    driver.reaction("U0PAT", "+1::skin-tone-5", IDEAS, ts, added=False)
    assert _votes(runtime, 1) == 0


def test_retried_vote_event_counts_once(driver, runtime):
    driver.command("/idea", "An idea", user="U0ANNA")
    ts = _idea_ts(runtime, 1)
    driver.reaction("U0BEN", "+1", IDEAS, ts, event_id="EvSAME")
    driver.reaction("U0BEN", "+1", IDEAS, ts, event_id="EvSAME", retry_num=1)
    assert _votes(runtime, 1) == 1


# -- the idea emoji and the shortcut -----------------------------------------------------------------
def test_bulb_reaction_submits_the_message_once_credited_to_its_author(driver, slack, runtime, history):
    history[("C0GENERAL", "1700000500.000100")] = {
        "type": "message",
        "user": "U0PAT",
        "text": "We should post the <!here> office dog",
        "ts": "1700000500.000100",
    }
    driver.reaction("U0ANNA", "bulb", "C0GENERAL", "1700000500.000100", item_user="U0PAT")
    driver.reaction("U0BEN", "bulb::skin-tone-2", "C0GENERAL", "1700000500.000100", item_user="U0PAT")
    [idea] = _ideas(runtime)
    assert (idea.author, idea.submitted_by) == ("U0PAT", "U0ANNA")
    assert (idea.source_channel, idea.source_ts) == ("C0GENERAL", "1700000500.000100")
    assert len(slack.posts(IDEAS)) == 1
    assert "<!here>" not in slack.everything_sent()
    assert any("already submitted as idea #1" in c.text for c in slack.ephemerals("U0BEN"))
    # Removing the reaction does not withdraw the idea.
    driver.reaction("U0ANNA", "bulb", "C0GENERAL", "1700000500.000100", item_user="U0PAT", added=False)
    assert len(_ideas(runtime)) == 1


def test_thread_reply_is_fetched_with_replies(driver, runtime, slack):
    original = slack._ok

    def _ok(method, params):
        if method == "conversations.history":
            return {"ok": True, "messages": []}
        if method == "conversations.replies":
            reply = {"user": "U0BEN", "text": "idea in a thread", "ts": params["ts"], "thread_ts": "1.0"}
            return {"ok": True, "messages": [{"user": "U0X", "text": "parent", "ts": "1.0"}, reply]}
        return original(method, params)

    slack._ok = _ok
    try:
        driver.reaction("U0ANNA", "bulb", "C0GENERAL", "1700000600.000001", item_user="U0BEN")
    finally:
        del slack._ok
    [idea] = _ideas(runtime)
    assert idea.text == "idea in a thread" and idea.author == "U0BEN"


def test_bulb_on_teambots_own_message_never_submits(driver, slack, runtime, history):
    driver.command("/idea", "An idea", user="U0ANNA")
    driver.reaction("U0BEN", "bulb", IDEAS, _idea_ts(runtime, 1), item_user="UBOT")
    history[("C0GENERAL", "1700000700.000001")] = {
        "bot_id": "BBOT",
        "user": "UBOT",
        "text": "x",
        "ts": "1700000700.000001",
    }
    driver.reaction("U0BEN", "bulb", "C0GENERAL", "1700000700.000001")
    assert len(_ideas(runtime)) == 1


def test_bulb_on_another_apps_message_tells_the_reactor_why_nothing_was_submitted(driver, slack, runtime, history):
    history[("C0GENERAL", "1700000750.000001")] = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0LISTENING",
        "text": "Mentions spike: 300% above a typical day",
        "ts": "1700000750.000001",
    }
    driver.reaction("U0BEN", "bulb", "C0GENERAL", "1700000750.000001")
    assert _ideas(runtime) == []
    (told,) = [c for c in slack.ephemerals("U0BEN") if "people's messages" in c.text]
    assert "/idea" in told.text
    # teambot's own messages stay quiet (its idea posts get the emoji as applause).
    driver.command("/idea", "An idea", user="U0ANNA")
    driver.reaction("U0BEN", "bulb", IDEAS, _idea_ts(runtime, 1), item_user="UBOT")
    assert len([c for c in slack.ephemerals("U0BEN") if "people's messages" in c.text]) == 1


def test_unreadable_message_tells_the_reactor(driver, slack, runtime, history):
    driver.reaction("U0ANNA", "bulb", "C0SECRET", "1700000800.000001", item_user="U0BEN")
    assert _ideas(runtime) == []
    assert any("could not read that message" in c.text for c in slack.ephemerals("U0ANNA"))


def test_submit_as_idea_shortcut(driver, slack, runtime):
    message = {"type": "message", "user": "U0PAT", "text": "Run a poll &lt;3", "ts": "1700000900.000001"}
    driver.shortcut(ShortcutId.SUBMIT_IDEA, channel="C0RANDOM", message=message, user="U0ANNA")
    driver.shortcut(ShortcutId.SUBMIT_IDEA, channel="C0RANDOM", message=message, user="U0BEN")
    [idea] = _ideas(runtime)
    assert (idea.author, idea.submitted_by, idea.text) == ("U0PAT", "U0ANNA", "Run a poll &lt;3")
    assert any("already submitted" in c.text for c in slack.posts("U0BEN"))
    bot_message = {"type": "message", "user": "UBOT", "bot_id": "BBOT", "text": "x", "ts": "1700000900.000002"}
    driver.shortcut(ShortcutId.SUBMIT_IDEA, channel="C0RANDOM", message=bot_message, user="U0ANNA")
    assert len(_ideas(runtime)) == 1


def test_a_long_message_submitted_as_an_idea_is_kept_whole_and_its_post_stays_within_limits(driver, slack, runtime):
    text = "A long brief. " * 3000  # 42,000 characters: someone else's message cannot be shortened
    message = {"type": "message", "user": "U0PAT", "text": text, "ts": "1700000900.000003"}
    driver.shortcut(ShortcutId.SUBMIT_IDEA, channel="C0RANDOM", message=message, user="U0ANNA")
    [idea] = _ideas(runtime)
    assert idea.text == text.strip()
    [post] = slack.posts(IDEAS)
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in post.blocks if b["type"] == "section")
    assert "too long" in driver.command("/idea", "x" * 3001, user="U0ANNA").text  # a typed one can be shortened


def test_a_shortcut_refused_in_a_channel_teambot_is_not_in_is_explained_by_dm(driver, slack, runtime):
    empty = {"type": "message", "user": "U0PAT", "text": "", "ts": "1700000900.000003"}
    driver.shortcut(ShortcutId.SUBMIT_IDEA, channel="C0RANDOM", message=empty, user="U0ANNA")
    assert _ideas(runtime) == [] and slack.ephemerals("U0ANNA") == []
    assert any("needs some text" in c.text for c in slack.posts("U0ANNA"))


# -- triage ------------------------------------------------------------------------------------------
def test_content_manager_accepts_with_button_and_submitter_is_told(driver, slack, runtime):
    driver.command("/idea", "Customer spotlight series", user="U0ANNA")
    driver.click(ActionId.IDEA_ACCEPT, "1", user="U0CONTENT", channel=IDEAS)
    [idea] = _ideas(runtime)
    assert (idea.status, idea.decided_by) == ("accepted", "U0CONTENT")
    assert any("accepted" in c.text and "#1" in c.text for c in slack.posts("U0ANNA"))
    last = _last_idea_message(slack)
    assert "accepted" in last and ActionId.IDEA_ACCEPT not in last
    # A second click is a conflict, told privately.
    driver.click(ActionId.IDEA_ACCEPT, "1", user="U0CONTENT", channel=IDEAS)
    assert any("already accepted" in c.text for c in slack.ephemerals("U0CONTENT"))


def test_others_are_refused(driver, slack, runtime):
    driver.command("/idea", "Customer spotlight series", user="U0ANNA")
    driver.click(ActionId.IDEA_ACCEPT, "1", user="U0BEN", channel=IDEAS)
    driver.click(ActionId.IDEA_DECLINE, "1", user="U0BEN", channel=IDEAS)
    assert _ideas(runtime)[0].status == "open"
    refusals = [c for c in slack.ephemerals("U0BEN") if "Only content managers" in c.text]
    assert len(refusals) == 2
    assert slack.of("views.open") == []
    assert "Only content managers" in driver.command("/idea", "accept 1", user="U0BEN").text


def test_decline_opens_reason_modal_and_tells_submitter(driver, slack, runtime):
    driver.command("/idea", "Dance challenge", user="U0ANNA")
    driver.click(ActionId.IDEA_DECLINE, "1", user="U0CONTENT", channel=IDEAS)
    [opened] = slack.of("views.open")
    view = _view(opened)
    assert view["callback_id"] == ViewId.IDEA_DECLINE and view["private_metadata"] == "1"
    reason = {"reason": {"value": {"type": "plain_text_input", "value": "Off brand <!everyone>"}}}
    driver.submit_view(ViewId.IDEA_DECLINE, reason, user="U0CONTENT", private_metadata="1", blocks=view["blocks"])
    [idea] = _ideas(runtime)
    assert idea.status == "declined" and idea.decline_reason == "Off brand &lt;!everyone&gt;"
    told = [c.text for c in slack.posts("U0ANNA")]
    assert any("declined" in t and "Off brand" in t for t in told)
    assert "<!everyone>" not in slack.everything_sent()


def test_unknown_idea_button_is_reported(driver, slack):
    driver.click(ActionId.IDEA_DECLINE, "42", user="U0CONTENT", channel=IDEAS)
    assert any("no idea #42" in c.text for c in slack.ephemerals("U0CONTENT"))


def test_export_shape(driver, runtime, history):
    history[("C0GENERAL", "1700001000.000001")] = {"user": "U0PAT", "text": "Idea text", "ts": "1700001000.000001"}
    driver.reaction("U0ANNA", "bulb", "C0GENERAL", "1700001000.000001", item_user="U0PAT")
    driver.reaction("U0BEN", "+1", IDEAS, _idea_ts(runtime, 1))
    driver.command("/idea", "decline 1 not now", user="U0CONTENT")
    with runtime.session_factory() as session:
        [row] = export_all(session)["ideas"]
    assert {k: row[k] for k in ("id", "author", "submitted_by", "text", "votes", "status")} == {
        "id": 1,
        "author": "U0PAT",
        "submitted_by": "U0ANNA",
        "text": "Idea text",
        "votes": 1,
        "status": "declined",
    }
