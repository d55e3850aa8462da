"""`teambot digest` and `teambot import-metrics`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from bot.clock import utcnow
from bot.settings import Settings, TeamConfig


def run(settings: Settings, config: TeamConfig, month: date | None, dry_run: bool) -> int:
    """Build the digest of `month` (default: the last complete month, team time). With `dry_run`
    print it; else post it through the outbox (once per month, ever) and send the outbox."""
    from bot.blocks.digest import dry_run_text
    from bot.db import open_database, transaction
    from bot.outbox import Outbox
    from bot.runtime import Runtime
    from bot.services import digest
    from bot.slack.sender import OutboxSender

    now = utcnow()
    latest = digest.last_complete_month(now, config.tz)
    key = digest.month_key(month) if month else latest
    if key > latest and not dry_run:
        # Posting a month that has not ended would use up its one digest with partial figures.
        print(
            f"teambot: {key} has not ended yet (team time); the latest month to post is {latest}. "
            "Use --dry-run to preview it.",
            file=sys.stderr,
        )
        return 2
    engine = open_database(settings.database_url)
    if dry_run:
        from bot.db import make_session_factory

        with make_session_factory(engine)() as session:
            data = digest.build(session, config, key)
        sys.stdout.write(dry_run_text(data, config.channels.digest, config.digest.leaders))
        return 0
    runtime = Runtime.build(settings, config, engine)
    with transaction(runtime.session_factory) as session:
        previous = digest.already_posted(session, key)
        posted = previous is None and digest.post(session, Outbox(session, now), config, key, now)
    if not posted:
        when = f" on {previous.posted_at.astimezone(config.tz):%Y-%m-%d %H:%M}" if previous else ""
        print(f"teambot: the digest for {key} was already posted{when}; use --dry-run to see it", file=sys.stderr)
        return 1
    sent = OutboxSender(runtime.session_factory, runtime.client).drain()
    leaders = len(config.digest.leaders)
    print(f"posted the digest for {key} in {config.channels.digest} and to {leaders} leader(s) ({sent} call(s) sent)")
    return 0


def import_metrics(settings: Settings, path: Path) -> int:
    """Import a CSV of post performance: every row or, if any row is bad, none."""
    from bot.db import make_session_factory, open_database
    from bot.services import metrics

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        print(f"teambot: {path} does not exist", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(f"teambot: cannot read {path}: {exc.__class__.__name__} (it must be a UTF-8 CSV file)", file=sys.stderr)
        return 2
    engine = open_database(settings.database_url)
    with make_session_factory(engine)() as session:
        # One transaction: committed only when every row is good.
        result = metrics.import_csv(session, text, utcnow())
        if result.errors:
            session.rollback()
        else:
            session.commit()
        if result.errors:
            for error in result.errors:
                print(f"{path}: {error}", file=sys.stderr)
            print(f"teambot: nothing was imported ({len(result.errors)} bad row(s))", file=sys.stderr)
            return 1
    print(f"imported {result.rows} row(s) for {len(result.drafts)} draft(s) from {path}")
    return 0
