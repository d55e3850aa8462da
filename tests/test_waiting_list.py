"""What waits for whom: `/approve` with no argument and the Home tab's drafts read the one waiting
list, which agrees with who may take each draft's step (the team's roles, a brand's client
approvers, an account's own chain, the strategists when nobody else can), in a number of SQL
statements that does not grow with the data."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import event, select

from bot.core.config import TeamConfig
from bot.core.db import transaction
from bot.features.approvals import service as approvals
from bot.features.approvals.models import ApprovalStep, Draft, DraftStatus, Via
from bot.features.approvals.service import Content
from bot.features.calendar import service as calendar
from bot.features.calendar.models import ClientApprover, Plan
from bot.features.roles import service as roles
from tests.conftest import make_config
from tests.helpers import add_draft

DRAFTS = "C0DRAFTS"
NORTHWIND = "C0NORTHWIND"
FABRIKAM = "C0FABRIKAM"
AUTHOR = "U0ANNA"
CM = "U0CONTENT"
STRAT = "U0STRAT"
CLIENT = "U0CLIENT"  # approves northwind's posts
OTHER_CLIENT = "U0FABCLIENT"  # approves fabrikam's
# Wednesday 2026-12-09, 10:00 in Budapest.
NOW = "2026-12-09 09:00:00"


def waiting_config() -> TeamConfig:
    return make_config(
        accounts=[
            {"name": "instagram", "network": "instagram"},
            {"name": "linkedin", "network": "linkedin", "chain": ["strategist"]},
            {"name": "reports", "chain": ["analyst", "strategist"]},  # nobody is an analyst
            {"name": "nw-instagram", "brand": "northwind", "chain": ["client", "strategist"]},
            {"name": "fab-x", "network": "x", "brand": "fabrikam", "chain": ["client", "strategist"]},
        ],
        brands=[
            {"name": "northwind", "drafts_channel": NORTHWIND, "client_approvers": [CLIENT]},
            {"name": "fabrikam", "drafts_channel": FABRIKAM, "client_approvers": [OTHER_CLIENT]},
        ],
    )


@pytest.fixture
def config() -> TeamConfig:
    return waiting_config()


@pytest.fixture(autouse=True)
def _frozen():
    with freeze_time(NOW):
        yield


def _ts(n: int) -> str:
    return f"1700000000.{n:06d}"


def _listed(driver, user: str) -> set[int]:
    """The draft ids `/approve` with no argument lists for `user`."""
    text = driver.command("/approve", "", user=user).text
    return {n for n in range(1, 60) if f"|draft #{n}>" in text}


def _on_home(driver, slack, user: str) -> set[int]:
    """The draft ids the Home tab shows `user` as waiting for them."""
    slack.calls.clear()
    driver.event({"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home", "event_ts": "1.0"})
    [call] = [c for c in slack.of("views.publish") if c.params.get("user_id") == user]
    view = call.params["view"]
    text = json.dumps((json.loads(view) if isinstance(view, str) else view)["blocks"])
    drafts = text[text.index("Drafts at a step you may take") : text.index("Handoffs to acknowledge")]
    return {n for n in range(1, 60) if f"|#{n}>" in drafts}


def _waiting(driver, slack, user: str) -> set[int]:
    """What waits for `user`, checked to be the same in `/approve` and on the Home tab."""
    listed = _listed(driver, user)
    assert _on_home(driver, slack, user) == listed
    return listed


# -- through Slack -------------------------------------------------------------------------------
def test_a_client_approver_sees_the_drafts_at_their_client_step(driver, slack):
    driver.message(NORTHWIND, AUTHOR, "[nw-instagram] tomorrow 09:00 For the client", _ts(1))
    driver.message(FABRIKAM, AUTHOR, "[fab-x] tomorrow 11:00 For the other client", _ts(2))
    driver.message(DRAFTS, AUTHOR, "[instagram] tomorrow 10:00 Our own post", _ts(3))

    assert _waiting(driver, slack, CLIENT) == {1}
    assert _waiting(driver, slack, OTHER_CLIENT) == {2}
    assert _waiting(driver, slack, CM) == {3}  # a client's step is not a content manager's
    assert _waiting(driver, slack, STRAT) == set()  # nor, while its client can take it, a strategist's
    assert _waiting(driver, slack, "U0RANDOM") == set()

    driver.command("/approve", "1", user=CLIENT)
    assert _waiting(driver, slack, CLIENT) == set()  # their step is taken
    assert _waiting(driver, slack, STRAT) == {1}  # the next step, the strategist's


def test_a_client_step_nobody_else_can_take_falls_to_the_strategists(driver, slack):
    # The brand's only client approver wrote the draft: nobody may take its client step but the
    # strategists (as eligible() says, and the status message names).
    driver.message(NORTHWIND, CLIENT, "[nw-instagram] tomorrow 09:00 Written by the client", _ts(1))
    assert f"<@{STRAT}>" in slack.posts(NORTHWIND)[0].all_text()
    assert _waiting(driver, slack, CLIENT) == set()
    assert _waiting(driver, slack, STRAT) == {1}
    assert _waiting(driver, slack, CM) == set()
    driver.command("/approve", "1", user=STRAT)
    assert _waiting(driver, slack, STRAT) == set()  # the next step is the strategists' too, but one took a step


def test_an_account_with_its_own_chain_waits_at_that_chains_step(driver, slack):
    driver.message(DRAFTS, AUTHOR, "[linkedin] Hiring post", _ts(1))  # chain: strategist
    driver.message(DRAFTS, AUTHOR, "[reports] The quarter in figures", _ts(2))  # analyst (nobody), strategist
    driver.message(DRAFTS, AUTHOR, "Unplanned post", _ts(3))  # the team's chain

    assert _waiting(driver, slack, STRAT) == {1, 2}
    assert _waiting(driver, slack, CM) == {3}

    # Re-planned on the client's account: it now waits for the client.
    driver.command("/calendar", "plan #3 instagram 2026-12-10 10:00", user=AUTHOR)
    assert _waiting(driver, slack, CM) == {3}
    driver.message(NORTHWIND, AUTHOR, "[nw-instagram] fri 10:00 Client post", _ts(4))
    assert _waiting(driver, slack, CLIENT) == {4}


def test_a_strategist_sees_only_the_steps_they_may_take(driver, slack):
    driver.message(DRAFTS, AUTHOR, "First post", _ts(1))
    driver.command("/approve", "1", user=CM)  # the content manager has taken a step of #1
    driver.message(DRAFTS, AUTHOR, "Second post", _ts(2))

    # #2 waits for the content manager, who can take it: not for the strategists.
    assert _waiting(driver, slack, STRAT) == {1}
    assert _waiting(driver, slack, CM) == {2}

    driver.message(DRAFTS, CM, "A post by the content manager", _ts(3))
    # Its author is the only content manager: the step falls to the strategists.
    assert _waiting(driver, slack, STRAT) == {1, 3}
    assert _waiting(driver, slack, CM) == {2}


# -- the same answer as eligible(), for everyone, on varied data ----------------------------------
PEOPLE = [AUTHOR, CM, STRAT, CLIENT, OTHER_CLIENT, "U0COMMUNITY", "U0CM2", "U0STRAT2", "U0BEN", "U0NOBODY"]


def _scenario(session, config: TeamConfig, seed: int) -> None:
    """Drafts written, planned, approved (some approvals taken back), edited and decided through
    the services, at random."""
    rng = random.Random(seed)
    now = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    for extra, role in (("U0CM2", "content_manager"), ("U0STRAT2", "strategist"), (CLIENT, "content_manager")):
        if rng.random() < 0.5:
            roles.add(session, extra, role, by=STRAT, now=now)
    for n in range(1, 25):
        author = rng.choice(PEOPLE)
        draft = approvals.submit(
            session,
            channel=DRAFTS,
            ts=_ts(n),
            author=author,
            text=f"Post {n}",
            files_signature="",
            chain=list(config.approval.chain),
            now=now + timedelta(minutes=n),
        )
        assert draft is not None
        account = rng.choice([None, "instagram", "linkedin", "reports", "nw-instagram", "fab-x"])
        if account is not None:
            calendar.plan(session, config, draft, accounts=[config.account(account)], slot=None, by=author, now=now)
        for _step in range(rng.randrange(3)):
            takers = [u for u in PEOPLE if u in approvals.eligible(session, draft)]
            if takers:
                approvals.approve(session, draft, by=rng.choice(takers), via=Via.REACTION, now=now)
        taken = [s.approved_by for s in approvals.active_steps(draft)]
        if taken and rng.random() < 0.2:
            approvals.withdraw_step(session, draft, by=rng.choice(taken), now=now)
        elif taken and rng.random() < 0.1:
            before = Content(draft.text, "")
            approvals.edit(session, draft, content=Content("Edited", ""), previous=before, by=author, now=now)
        takers = [u for u in PEOPLE if u in approvals.eligible(session, draft)]
        if takers and rng.random() < 0.15:
            decision = rng.choice([DraftStatus.REJECTED, DraftStatus.CHANGES_REQUESTED])
            approvals.decide(session, draft, decision=decision, by=rng.choice(takers), via=Via.COMMAND, now=now)
    session.flush()


@pytest.mark.parametrize("seed", range(6))
def test_the_waiting_list_is_what_each_person_may_take(runtime, config, seed):
    with transaction(runtime.session_factory) as session:
        _scenario(session, config, seed)
    with runtime.session_factory() as session:
        pending = session.scalars(
            select(Draft).where(Draft.status == DraftStatus.PENDING).order_by(Draft.created_at, Draft.id)
        ).all()
        for user in PEOPLE:
            expected = [d.id for d in pending if user in approvals.eligible(session, d)]
            waiting = approvals.waiting_for(session, user)
            assert [d.id for d in waiting.drafts] == expected, user
            assert waiting.total == len(expected)
            assert [d.id for d in approvals.waiting_for(session, user, limit=2).drafts] == expected[:2]


# -- statements ----------------------------------------------------------------------------------
def _more_data(runtime, start: int, count: int) -> None:
    """`count` more drafts, at every step and in every state, some at a client's step, written
    straight to the store."""
    created = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    states = ["pending", "pending", "approved", "rejected", "withdrawn"]
    with transaction(runtime.session_factory) as session:
        for n in range(start, start + count):
            status = states[n % len(states)]
            chain = ["client", "strategist"] if n % 3 == 0 else ["content_manager", "strategist"]
            step = 1 if status == "approved" else n % 2
            draft = add_draft(session, ts=_ts(n), author=AUTHOR, status=status, created_at=created)
            draft.chain, draft.current_step, draft.current_role = ",".join(chain), step, chain[step]
            takers = {"client": CLIENT, "content_manager": CM, "strategist": STRAT}
            session.add_all(
                ApprovalStep(
                    draft_id=draft.id,
                    step_index=index,
                    role=chain[index],
                    approved_by=takers[chain[index]],
                    approved_at=created,
                    via="command",
                    active=True,
                )
                for index in range(step + (status == "approved"))
            )
            if chain[0] == "client":
                session.add(Plan(draft_id=draft.id, accounts="nw-instagram", planned_by=AUTHOR, planned_at=created))
                session.add(ClientApprover(draft_id=draft.id, user_id=CLIENT, position=0))


def _statements(runtime, action) -> int:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)
    return len(seen)


def _counts(driver, sender, runtime) -> dict[tuple[str, str], int]:
    """Statements run by `/approve` (its reply, and the outbox's empty drain) and by opening the
    Home tab (not sending it), per viewer."""
    counts = {}
    for user in (STRAT, CM, CLIENT, "U0NOBODY"):
        opened = {"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home", "event_ts": "1.0"}
        counts[(user, "/approve")] = _statements(runtime, lambda u=user: driver.command("/approve", "", user=u))
        counts[(user, "home")] = _statements(runtime, lambda e=opened: driver.event(e, drain=False))
        sender.drain()
    return counts


def test_the_number_of_statements_does_not_grow_with_the_data(driver, sender, runtime):
    _more_data(runtime, 1, 3)
    _counts(driver, sender, runtime)  # the first opening records the person's Home tab row
    few = _counts(driver, sender, runtime)
    _more_data(runtime, 100, 150)
    with runtime.session_factory() as session:
        assert approvals.waiting_for(session, STRAT).total > 20  # more than a list shows
        assert approvals.waiting_for(session, CLIENT).total > 5
    assert _counts(driver, sender, runtime) == few
