"""Escalations through the real Bolt app and the fake Web API: /escalate, the modal, the emoji,
the shortcut, the buttons, permissions, bad input and the export."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from bot.app import export_all
from bot.core import export
from bot.core.errors import BadInput, InvalidFields
from bot.features.escalations import service
from bot.features.escalations.models import Escalation
from bot.slack.ids import ActionId, ShortcutId, ViewId
from tests.helpers import MONDAY_10, action_ids, sqlite_only

MONDAY_20 = MONDAY_10 + timedelta(hours=10)


def escalations_in_db(runtime) -> list[Escalation]:
    with runtime.session_factory() as session:
        return list(session.scalars(select(Escalation).order_by(Escalation.id)))


def count(runtime) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Escalation)) or 0


def channel_post(slack):
    posts = slack.posts("C0ESCALATE")
    assert len(posts) == 1
    return posts[0]


def last_update(slack):
    updates = [c for c in slack.of("chat.update") if c.channel == "C0ESCALATE"]
    assert updates, "the escalation message was not updated"
    return updates[-1]


# -- opening ------------------------------------------------------------------------------------
@sqlite_only
def test_help_names_the_command_and_shows_examples(driver, slack):
    for word in ("help", "HELP", "?"):
        reply = driver.command("/escalate", word)
        assert reply.json["response_type"] == "ephemeral"
        assert "/escalate" in reply.text and "/escalate ack 12" in reply.text and "Examples" in reply.text
    assert slack.posts() == []


def test_command_assigns_whoever_is_on_shift_posts_with_buttons_and_dms(driver, slack, runtime, frozen):
    reply = driver.command("/escalate", "Customer says the discount code is broken", user="U0COMMUNITY")
    assert "#1" in reply.text and "<@U0BEN>" in reply.text
    (esc,) = escalations_in_db(runtime)
    assert (esc.team, esc.severity, esc.status, esc.assignee, esc.level_name) == (
        "support",
        "normal",
        "open",
        "U0BEN",
        "on_shift",
    )
    post = channel_post(slack)
    assert "#1" in post.all_text() and "discount code" in post.all_text()
    assert action_ids(post) == [ActionId.ESCALATION_ACK, ActionId.ESCALATION_RESOLVE, ActionId.ESCALATION_REASSIGN]
    (dm,) = slack.posts("U0BEN")
    assert "You are assigned" in dm.text and "#1" in dm.text
    assert slack.posts("U0STRAT") == [] and slack.posts("U0LEAD") == []


def test_team_and_severity_are_case_insensitive_and_lead_takes_teams_without_shift(driver, slack, runtime, frozen):
    driver.command("/escalate", "PR High Journalist asking about the outage", user="U0ANNA")
    (esc,) = escalations_in_db(runtime)
    assert (esc.team, esc.severity, esc.assignee) == ("pr", "high", "U0PRLEAD")
    assert esc.text == "Journalist asking about the outage"
    assert len(slack.posts("U0PRLEAD")) == 1


def test_outside_shift_hours_the_lead_is_assigned(driver, slack, runtime):
    with freeze_time(MONDAY_20):
        driver.command("/escalate", "low Typo in yesterday's post", user="U0ANNA")
    (esc,) = escalations_in_db(runtime)
    assert (esc.severity, esc.assignee) == ("low", "U0LEAD")


def test_crisis_tells_every_strategist_at_once(driver, slack, runtime, frozen):
    with runtime.session_factory() as session, session.begin():
        from bot.features.roles import service as roles

        roles.add(session, "U0STRAT2", "strategist", by=None, now=MONDAY_10)
    driver.command("/escalate", "support CRISIS Data leak rumours trending", user="U0ANNA")
    assert len(slack.posts("U0BEN")) == 1
    for strategist in ("U0STRAT", "U0STRAT2"):
        (dm,) = slack.posts(strategist)
        assert "Crisis" in dm.text and "#1" in dm.text


def test_link_in_text_is_kept_as_the_link(driver, runtime, frozen):
    driver.command("/escalate", "Angry thread <https://instagram.com/p/xyz|instagram.com/p/xyz>")
    (esc,) = escalations_in_db(runtime)
    assert esc.link == "https://instagram.com/p/xyz"


def test_a_link_with_a_long_tracking_tail_is_kept_whole(driver, runtime, frozen):
    link = "https://www.instagram.com/p/Cxyz/?utm_source=ig_web_copy_link" + "&amp;igshid=aaaa" * 60
    reply = driver.command("/escalate", f"high Angry thread <{link}>")
    assert "Escalation #1" in reply.text
    (esc,) = escalations_in_db(runtime)
    assert esc.link == link and len(link) > 1000


@pytest.mark.parametrize(
    "text",
    [
        "Very high volume of angry replies on Instagram",
        "Urgent: customer threatens to sue",
        "support Major outage complaints on X",
        "marketing high Customer angry",  # not a team's name, nor nearly one
        "Illegal low prices in the ad we posted this morning",  # words that hold a team's name
        "Supporting high volume of refund complaints since 9",
        "Pro high tips are going viral",
    ],
)
def test_words_that_are_not_a_team_or_severity_are_the_complaint(driver, runtime, frozen, text):
    # The SPEC's order: sub-command, then team, then severity; the rest is free text.
    reply = driver.command("/escalate", text)
    (esc,) = escalations_in_db(runtime)
    assert (esc.team, esc.severity) == ("support", "normal")
    assert esc.text.endswith(text.split(" ", 1)[1] if text.startswith("support ") else text)
    assert f"#{esc.id}" in reply.text


def test_a_mistyped_severity_after_a_team_is_refused(driver, runtime, slack, frozen):
    reply = driver.command("/escalate", "pr crisi Influencer video going viral")
    assert "`crisi` is not a severity; did you mean `crisis`?" in reply.text and "/escalate pr crisis" in reply.text
    assert escalations_in_db(runtime) == [] and slack.posts() == []


def test_a_team_written_with_a_colon_is_the_team(driver, runtime, frozen):
    driver.command("/escalate", "PR: crisis in the comments under the launch post")
    (esc,) = escalations_in_db(runtime)
    assert (esc.team, esc.severity, esc.text) == ("pr", "crisis", "in the comments under the launch post")


def test_a_mistyped_team_before_a_severity_is_refused_not_sent_as_a_normal_escalation(driver, runtime, slack, frozen):
    reply = driver.command("/escalate", "suport crisis Site is down <!channel>")
    assert reply.json["response_type"] == "ephemeral"
    assert "`suport` is not a team; did you mean `support`?" in reply.text and "/escalate support crisis" in reply.text
    assert escalations_in_db(runtime) == [] and slack.posts() == []
    assert "<!channel>" not in reply.body


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("support high", "Say what happened"),
        ("crisis", "Say what happened"),
        ("ack", "needs the escalation number"),
        ("ack twelve", "`twelve` is not an escalation number"),
        ("ack 99", "There is no escalation #99"),
        ("resolve #99 done", "There is no escalation #99"),
        ("resolve", "Give an escalation number"),
        ("reassign 1", "needs the escalation number and a person"),
        ("reassign 1 bob", "`bob` is not a Slack user"),
        ("list nosuchteam", "`nosuchteam` is not a team"),
    ],
)
def test_bad_input_gets_an_ephemeral_with_an_example_and_changes_nothing(driver, slack, runtime, text, expected):
    reply = driver.command("/escalate", text)
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert expected in reply.text
    assert "Example" in reply.text
    assert count(runtime) == 0
    assert slack.posts() == []


def test_channel_pings_never_reach_bot_output(driver, slack, runtime, frozen):
    reply = driver.command(
        "/escalate", "high <!channel> <!here> <!subteam^S123|@team> look <https://evil.test|ok.test>"
    )
    assert "<!channel>" not in reply.body
    driver.command("/escalate", "list")
    driver.command("/escalate", "resolve 1 fixed <!everyone>", user="U0BEN")
    driver.command("/escalate", "<!channel> high boom")  # a word before a severity: unknown team
    sent = slack.everything_sent()
    assert "Escalation #1" in sent
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<!subteam^S123"):
        assert ping not in sent
    assert "|ok.test>" not in sent


# -- the modal ----------------------------------------------------------------------------------
def modal_values(team="support", severity="high", description="", link=""):
    return {
        "team": {"value": {"type": "static_select", "selected_option": {"value": team}}},
        "severity": {"value": {"type": "static_select", "selected_option": {"value": severity}}},
        "description": {"value": {"type": "plain_text_input", "value": description}},
        "link": {"value": {"type": "plain_text_input", "value": link}},
    }


def test_no_argument_opens_the_modal_and_submitting_it_escalates(driver, slack, runtime, frozen):
    reply = driver.command("/escalate", "", user="U0ANNA")
    assert reply.status == 200
    (opened,) = slack.of("views.open")
    view = json.loads(opened.params["view"]) if isinstance(opened.params["view"], str) else opened.params["view"]
    assert view["callback_id"] == ViewId.ESCALATE
    assert {b.get("block_id") for b in view["blocks"]} >= {"team", "severity", "link", "description"}

    reply = driver.submit_view(
        ViewId.ESCALATE,
        modal_values(team="pr", severity="crisis", description="Raw <!channel> & <b>", link="https://x.test/post/1"),
        user="U0ANNA",
    )
    assert reply.status == 200 and reply.body == ""
    (esc,) = escalations_in_db(runtime)
    assert (esc.team, esc.severity, esc.via, esc.link) == ("pr", "crisis", "modal", "https://x.test/post/1")
    assert esc.text == "Raw &lt;!channel&gt; &amp; &lt;b&gt;"
    assert "<!channel>" not in slack.everything_sent()
    assert any("#1" in c.text for c in slack.posts("U0ANNA"))


def test_modal_errors_point_at_the_field(driver, runtime):
    reply = driver.submit_view(ViewId.ESCALATE, modal_values(team="nope", link="not a link"))
    assert reply.json["response_action"] == "errors"
    assert set(reply.json["errors"]) == {"team", "link"}
    reply = driver.submit_view(ViewId.ESCALATE, modal_values(severity="extreme"))
    assert set(reply.json["errors"]) == {"severity", "description"}
    assert count(runtime) == 0


# -- the emoji and the shortcut -----------------------------------------------------------------
def test_reaction_escalates_the_message_with_its_permalink_and_text(driver, slack, runtime, frozen):
    slack.messages["C0SOCIAL"] = [
        {"ts": "1709542800.000100", "text": "Your app ate my order <!here>", "user": "U0CUST", "thread_ts": None}
    ]
    driver.reaction("U0COMMUNITY", "rotating_light", "C0SOCIAL", "1709542800.000100", item_user="U0CUST")
    (esc,) = escalations_in_db(runtime)
    assert esc.via == "reaction" and esc.reporter == "U0COMMUNITY" and esc.source_author == "U0CUST"
    assert esc.team == "support" and esc.severity == "normal"
    assert esc.link == "https://acme.slack.com/archives/C0SOCIAL/p1709542800000100"
    assert esc.text == "Your app ate my order <!here>"
    assert len(slack.of("chat.getPermalink")) == 1
    post = channel_post(slack)
    assert "ate my order" in post.all_text() and "C0SOCIAL/p1709542800000100" in post.all_text()
    assert "<!here>" not in slack.everything_sent()
    (confirmation,) = slack.ephemerals("U0COMMUNITY")
    assert "#1" in confirmation.text

    # Someone else reacting too does not open a second one; they are told which one it is.
    driver.reaction("U0ANNA", "rotating_light", "C0SOCIAL", "1709542800.000100", item_user="U0CUST")
    assert count(runtime) == 1
    assert "already escalated as #1" in slack.ephemerals("U0ANNA")[0].text


def test_a_reaction_escalates_an_integrations_message_with_the_words_of_its_attachments(driver, slack, runtime, frozen):
    # Listening tools post their alerts as attachments, with no text of their own.
    alert = {
        "ts": "1709542800.000600",
        "text": "",
        "bot_id": "B0BRANDWATCH",
        "thread_ts": None,
        "attachments": [
            {
                "fallback": "Brandwatch alert: negative spike <!channel>",
                "title": "Brandwatch alert",
                "text": "Negative spike",
            }
        ],
    }
    slack.messages["C0SOCIAL"] = [alert]
    driver.reaction("U0COMMUNITY", "rotating_light", "C0SOCIAL", "1709542800.000600")
    (esc,) = escalations_in_db(runtime)
    assert esc.text == "Brandwatch alert: negative spike <!channel>\nBrandwatch alert\nNegative spike"
    assert "Negative spike" in channel_post(slack).all_text()
    assert "<!channel>" not in slack.everything_sent()


def test_a_shortcut_on_a_long_message_keeps_its_first_words(driver, slack, runtime, frozen):
    message = {"ts": "1709542800.000700", "text": "word " * 10_000, "user": "U0CUST", "type": "message"}
    driver.shortcut(ShortcutId.ESCALATE_MESSAGE, channel="C0SOCIAL", message=message, user="U0ANNA")
    (esc,) = escalations_in_db(runtime)
    assert esc.text.startswith("word word") and len(esc.text) <= 3_000


def test_reactions_that_do_not_escalate(driver, slack, runtime, frozen):
    driver.reaction("U0ANNA", "rotating_light", "C0ESCALATE", "1709542800.000200", item_user="UBOT")
    driver.reaction("U0ANNA", "tada", "C0SOCIAL", "1709542800.000300", item_user="U0CUST")
    driver.reaction("U0ANNA", "rotating_light", "C0SOCIAL", "1709542800.000400", item_user="U0CUST", added=False)
    assert count(runtime) == 0
    assert slack.posts() == []


def test_a_reaction_on_teambots_own_message_never_escalates_even_without_item_user(driver, slack, runtime, frozen):
    # The event does not always name the message's author; the message itself says it is teambot's.
    driver.command("/escalate", "Customer says the discount code is broken", user="U0COMMUNITY")
    own = slack.messages["C0ESCALATE"][0]
    assert own["bot_id"] == "BBOT"
    sent_before = len(slack.posts()) + len(slack.ephemerals())
    driver.event(
        {
            "type": "reaction_added",
            "user": "U0ANNA",
            "reaction": "rotating_light",
            "item": {"type": "message", "channel": "C0ESCALATE", "ts": own["ts"]},
            "event_ts": "1709542900.000100",
        }
    )
    assert count(runtime) == 1
    assert len(slack.posts()) + len(slack.ephemerals()) == sent_before


def test_retried_reaction_event_escalates_once(driver, runtime, frozen):
    driver.reaction("U0ANNA", "rotating_light", "C0SOCIAL", "1709542800.000500", event_id="EvSAME")
    driver.reaction("U0ANNA", "rotating_light", "C0SOCIAL", "1709542800.000500", event_id="EvSAME", retry_num=1)
    assert count(runtime) == 1


def test_message_shortcut_escalates_from_any_channel(driver, slack, runtime, frozen):
    message = {"ts": "1709542800.000600", "text": "Refund never arrived", "user": "U0CUST", "type": "message"}
    reply = driver.shortcut(ShortcutId.ESCALATE_MESSAGE, channel="C0ELSEWHERE", message=message, user="U0ANNA")
    assert reply.status == 200
    (esc,) = escalations_in_db(runtime)
    assert esc.via == "shortcut" and esc.text == "Refund never arrived" and esc.source_channel == "C0ELSEWHERE"
    assert esc.link and "C0ELSEWHERE" in esc.link
    assert any("#1" in c.text for c in slack.posts("U0ANNA"))


# -- acknowledge, resolve, reassign ---------------------------------------------------------------
def test_ack_button_by_a_team_member_takes_it_over(driver, slack, runtime, frozen):
    driver.command("/escalate", "high Customer angry", user="U0COMMUNITY")
    frozen.tick(timedelta(minutes=3))
    driver.click(ActionId.ESCALATION_ACK, "1", user="U0ANNA", channel="C0ESCALATE")
    (esc,) = escalations_in_db(runtime)
    assert (esc.status, esc.assignee, esc.acknowledged_by) == ("acknowledged", "U0ANNA", "U0ANNA")
    assert esc.acknowledged_at - esc.created_at == timedelta(minutes=3)
    assert esc.next_climb_at is None
    update = last_update(slack)
    assert "Acknowledged" in update.all_text() and ActionId.ESCALATION_ACK not in action_ids(update)
    assert any("acknowledged escalation #1" in c.text for c in slack.posts("U0BEN"))

    # A second acknowledgement changes nothing and says why.
    driver.click(ActionId.ESCALATION_ACK, "1", user="U0BEN", channel="C0ESCALATE")
    assert "already acknowledged" in slack.ephemerals("U0BEN")[-1].text
    assert escalations_in_db(runtime)[0].assignee == "U0ANNA"


def test_outsiders_may_not_acknowledge_resolve_or_reassign(driver, slack, runtime, frozen):
    driver.command("/escalate", "high Customer angry", user="U0COMMUNITY")
    driver.click(ActionId.ESCALATION_ACK, "1", user="U0RANDOM", channel="C0ESCALATE")
    assert "may acknowledge" in slack.ephemerals("U0RANDOM")[-1].text
    reply = driver.command("/escalate", "resolve 1", user="U0ANNA")  # a member, but not the assignee
    assert "may resolve" in reply.text
    reply = driver.command("/escalate", "reassign 1 <@U0ANNA>", user="U0RANDOM")
    assert "may reassign" in reply.text
    driver.click(ActionId.ESCALATION_REASSIGN, "1", user="U0RANDOM", channel="C0ESCALATE")
    assert slack.of("views.open") == []
    (esc,) = escalations_in_db(runtime)
    assert (esc.status, esc.assignee) == ("open", "U0BEN")


def test_commands_ack_resolve_and_times_are_kept(driver, slack, runtime, frozen):
    driver.command("/escalate", "Customer angry", user="U0COMMUNITY")
    frozen.tick(timedelta(minutes=5))
    assert "You acknowledged escalation #1" in driver.command("/escalate", "ack #1", user="U0BEN").text
    frozen.tick(timedelta(minutes=40))
    reply = driver.command("/escalate", "resolve 1   Refund sent, customer happy", user="U0BEN")
    assert "#1 is resolved" in reply.text
    (esc,) = escalations_in_db(runtime)
    assert esc.status == "resolved" and esc.resolution_note == "Refund sent, customer happy"
    assert esc.resolved_at - esc.created_at == timedelta(minutes=45)
    update = last_update(slack)
    assert "Resolved" in update.all_text() and action_ids(update) == []
    assert any("resolved" in c.text for c in slack.posts("U0COMMUNITY"))
    assert "already resolved" in driver.command("/escalate", "resolve 1", user="U0BEN").text


def test_lead_and_strategist_may_resolve_an_unacknowledged_one(driver, runtime, frozen):
    driver.command("/escalate", "First", user="U0COMMUNITY")
    driver.command("/escalate", "Second", user="U0COMMUNITY")
    driver.click(ActionId.ESCALATION_RESOLVE, "1", user="U0LEAD", channel="C0ESCALATE")
    driver.command("/escalate", "resolve 2", user="U0STRAT")
    first, second = escalations_in_db(runtime)
    assert (first.status, first.resolved_by, first.acknowledged_at) == ("resolved", "U0LEAD", MONDAY_10)
    assert (second.status, second.resolved_by) == ("resolved", "U0STRAT")


def test_reassign_by_command_and_by_modal(driver, slack, runtime, frozen):
    driver.command("/escalate", "Customer angry", user="U0COMMUNITY")
    reply = driver.command("/escalate", "reassign 1 <@U0ANNA|anna>", user="U0BEN")
    assert "now assigned to <@U0ANNA>" in reply.text
    assert escalations_in_db(runtime)[0].assignee == "U0ANNA"
    assert any("assigned this to you" in c.text for c in slack.posts("U0ANNA"))
    assert "already has escalation #1" in driver.command("/escalate", "reassign 1 <@U0ANNA>", user="U0LEAD").text

    driver.click(ActionId.ESCALATION_REASSIGN, "1", user="U0LEAD", channel="C0ESCALATE")
    (opened,) = slack.of("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == ViewId.ESCALATION_REASSIGN and view["private_metadata"] == "1"
    assert any(b.get("element", {}).get("type") == "users_select" for b in view["blocks"])
    reply = driver.submit_view(
        ViewId.ESCALATION_REASSIGN,
        {"assignee": {"value": {"type": "users_select", "selected_user": "U0PAT"}}},
        user="U0LEAD",
        private_metadata="1",
    )
    assert reply.status == 200 and reply.body == ""
    assert escalations_in_db(runtime)[0].assignee == "U0PAT"
    assert len(slack.posts("U0PAT")) == 1
    # The new assignee was told, so may acknowledge (not a support member).
    driver.click(ActionId.ESCALATION_ACK, "1", user="U0PAT", channel="C0ESCALATE")
    assert escalations_in_db(runtime)[0].status == "acknowledged"


def test_reassign_goes_ahead_when_slack_is_too_slow_to_check_the_person(driver, slack, runtime, frozen):
    driver.command("/escalate", "Customer angry", user="U0COMMUNITY")
    slack.delays["users.info"] = 3.0  # past the 1.5 s budget for reads inside a request
    reply = driver.command("/escalate", "reassign 1 <@U0ANNA>", user="U0BEN")
    assert "now assigned to <@U0ANNA>" in reply.text
    assert escalations_in_db(runtime)[0].assignee == "U0ANNA"


def test_reassign_to_a_bot_or_unknown_person_is_refused(driver, slack, runtime, frozen):
    driver.command("/escalate", "Customer angry", user="U0COMMUNITY")
    slack.users["U0HOOK"] = {"is_bot": True}
    assert "is a bot" in driver.command("/escalate", "reassign 1 <@U0HOOK>", user="U0BEN").text
    assert "cannot take this over" in driver.command("/escalate", "reassign 1 <@UBOT>", user="U0BEN").text
    slack.users["U0GONE"] = {"deleted": True}
    assert "left the workspace" in driver.command("/escalate", "reassign 1 <@U0GONE>", user="U0BEN").text
    reply = driver.submit_view(
        ViewId.ESCALATION_REASSIGN,
        {"assignee": {"value": {"type": "users_select", "selected_user": "U0HOOK"}}},
        user="U0BEN",
        private_metadata="1",
    )
    assert "is a bot" in reply.json["errors"]["assignee"]
    assert escalations_in_db(runtime)[0].assignee == "U0BEN"


def test_reassign_form_refusals_are_shown_beside_its_field_and_change_nothing(driver, slack, runtime, frozen):
    driver.command("/escalate", "Customer angry", user="U0COMMUNITY")  # → Ben
    anna = {"assignee": {"value": {"type": "users_select", "selected_user": "U0ANNA"}}}
    reply = driver.submit_view(ViewId.ESCALATION_REASSIGN, anna, user="U0COMMUNITY", private_metadata="1")
    assert "Only the assignee of #1" in reply.json["errors"]["assignee"]
    reply = driver.submit_view(ViewId.ESCALATION_REASSIGN, anna, user="U0BEN", private_metadata="<!channel>")
    assert "is not an escalation number" in reply.json["errors"]["assignee"]
    assert "<!channel>" not in reply.body
    assert escalations_in_db(runtime)[0].assignee == "U0BEN"
    assert not any("assigned this to you" in c.text for c in slack.posts("U0ANNA"))


def test_the_form_is_checked_field_by_field_by_the_service(runtime):
    with runtime.session_factory() as session, pytest.raises(InvalidFields) as refused:
        service.create_from_form(
            session,
            runtime.config,
            team="<!channel>",
            severity="extreme",
            description="",
            link="javascript:alert(1)",
            reporter="U0ANNA",
            now=MONDAY_10,
        )
    assert set(refused.value.fields) == {"team", "severity", "link"}
    assert count(runtime) == 0


def test_list_shows_what_is_not_resolved(driver, runtime, frozen):
    driver.command("/escalate", "First complaint", user="U0COMMUNITY")
    driver.command("/escalate", "pr Second complaint", user="U0COMMUNITY")
    driver.command("/escalate", "Third complaint", user="U0COMMUNITY")
    driver.command("/escalate", "resolve 3", user="U0STRAT")
    reply = driver.command("/escalate", "list")
    assert "#1" in reply.text and "#2" in reply.text and "#3" not in reply.text
    by_team = driver.command("/escalate", "list PR")
    assert "#2" in by_team.text and "#1" not in by_team.text
    with freeze_time(MONDAY_10 + timedelta(days=1)):
        driver.command("/escalate", "resolve 1", user="U0STRAT")
        driver.command("/escalate", "resolve 2", user="U0STRAT")
        assert "Nothing is escalated" in driver.command("/escalate", "list").text


def test_long_lists_are_capped(driver, runtime, frozen):
    for number in range(23):
        driver.command("/escalate", f"Complaint {number}", user="U0COMMUNITY")
    reply = driver.command("/escalate", "list")
    assert "and 3 more" in reply.text
    assert len(reply.json["blocks"]) <= 50


def test_ids_are_never_reused(driver, runtime, engine, frozen):
    driver.command("/escalate", "One", user="U0COMMUNITY")
    driver.command("/escalate", "Two", user="U0COMMUNITY")
    with runtime.session_factory() as session, session.begin():
        session.delete(session.get(Escalation, 2))
    driver.command("/escalate", "Three", user="U0COMMUNITY")
    assert [e.id for e in escalations_in_db(runtime)] == [1, 3]


# -- export -------------------------------------------------------------------------------------
def test_export_has_the_documented_keys(driver, runtime, frozen):
    driver.command("/escalate", "pr high Journalist call", user="U0COMMUNITY")
    frozen.tick(timedelta(minutes=2))
    driver.command("/escalate", "ack 1", user="U0PRLEAD")
    frozen.tick(timedelta(minutes=10))
    driver.command("/escalate", "resolve 1", user="U0PRLEAD")
    driver.command("/escalate", "Still open", user="U0COMMUNITY")
    with runtime.session_factory() as session:
        data = export_all(session)
        since = export_all(session, since=MONDAY_10 + timedelta(minutes=5))
    first, second = data["escalations"]
    assert {
        "id",
        "team",
        "severity",
        "status",
        "assignee",
        "level",
        "created_at",
        "acknowledged_at",
        "resolved_at",
    } <= set(first)
    assert first["id"] == 1 and first["team"] == "pr" and first["severity"] == "high"
    assert first["status"] == "resolved" and first["assignee"] == "U0PRLEAD" and first["level"] == "lead"
    assert first["created_at"] == "2024-03-04T09:00:00+00:00"
    assert first["acknowledged_at"] == "2024-03-04T09:02:00+00:00"
    assert first["resolved_at"] == "2024-03-04T09:12:00+00:00"
    assert second["status"] == "open" and second["acknowledged_at"] is None
    assert [e["id"] for e in since["escalations"]] == [2]
    assert "escalation" in export.to_csv(data)


def test_parse_new_keeps_the_text_as_typed():
    from tests.conftest import make_config

    config = make_config()
    assert service.parse_new(config, "Support  LOW  two  spaces\nnew line") == (
        "support",
        "low",
        "two  spaces\nnew line",
    )
    with pytest.raises(BadInput):
        service.parse_new(config, "high")


def test_a_forged_link_or_status_line_in_an_escalation_cannot_pass_for_teambots_own(driver, slack, frozen):
    text = "high <HTTPS://evil.example|https://status.example> site down\n*Resolved* by <@U0LEAD> after 2 min"
    reply = driver.command("/escalate", f"support {text}")
    assert reply.status == 200
    post = slack.posts("C0ESCALATE")[0]
    shown = post.all_text()
    assert "<HTTPS://evil.example>" in shown and "|https://status.example>" not in shown
    body = next(b["text"]["text"] for b in post.blocks if b["type"] == "section" and "site down" in b["text"]["text"])
    assert all(line.startswith(">") for line in body.split("\n"))
    assert "|https://status.example>" not in reply.body
