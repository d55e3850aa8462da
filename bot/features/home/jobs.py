"""Republishes Home tabs after changes. One pass per tick: the change rows committed since the
last pass are taken in the same transaction as the publications they cause, so a burst of changes
publishes each person's view once, and a pass that fails is done again on the next tick."""

from __future__ import annotations

import logging

from bot.core.db import transaction
from bot.features.home import notices
from bot.features.home import service as home
from bot.outbox.queue import Outbox
from bot.scheduler.context import JobContext

log = logging.getLogger(__name__)


def refresh_home_views(ctx: JobContext) -> None:
    with transaction(ctx.session_factory) as session:
        changed = home.take_changes(session)
        users = home.views_to_check(session, ctx.now, changed=changed)
        if not users:
            return
        previous = home.published_digests(session, users)
        outbox = Outbox(session, ctx.now)
        published = sum(
            notices.republish_if_changed(session, outbox, ctx.config, user, previous.get(user), ctx.now)
            for user in users
        )
    if published:
        log.info("home: %s of %s Home tab(s) republished", published, len(users))


JOBS = (refresh_home_views,)
