"""Builds a person's Home tab and queues its publication."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.features.home import blocks as ui
from bot.features.home import service as home
from bot.outbox.queue import Outbox
from bot.slack.blocks import Block

# Blocks some people get at the top of their tab (a settings button, say): given the session and
# the person, they return the blocks for that person, or none.
ExtraBlocks = Callable[[Session, TeamConfig, str], Sequence[Block]]
EXTRAS: list[ExtraBlocks] = []


def build(session: Session, config: TeamConfig, user: str, now: datetime) -> dict[str, object]:
    extra = [block for provider in EXTRAS for block in provider(session, config, user)]
    return ui.home_view(home.gather(session, config, user, now), config.tz, extra=extra)


def publish(session: Session, outbox: Outbox, config: TeamConfig, user: str, now: datetime) -> None:
    """Publish the person's tab as it is now (when they open it)."""
    view = build(session, config, user, now)
    outbox.publish_view(user, view)
    home.record_check(session, user, home.digest_of(view), now, published=True)


def republish_if_changed(
    session: Session, outbox: Outbox, config: TeamConfig, user: str, previous: str | None, now: datetime
) -> bool:
    """Rebuild the person's tab and publish it only if it shows something else than last time."""
    view = build(session, config, user, now)
    digest = home.digest_of(view)
    changed = digest != previous
    if changed:
        outbox.publish_view(user, view)
    home.record_check(session, user, digest, now, published=changed)
    return changed
