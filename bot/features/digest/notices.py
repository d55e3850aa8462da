"""Messages of the monthly digest: the staff post and the leaders' summaries, each sent once ever
per month (outbox dedupe keys), and what became of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.features.digest import blocks as ui
from bot.features.digest import service as digest
from bot.features.digest.service import DigestData
from bot.outbox import history
from bot.outbox.queue import Outbox


def _outbox_key(month: str, to: str) -> str:
    return f"digest:{month}:{to}"


OUTBOX_KEYS = _outbox_key("%", "%")  # a LIKE pattern for every digest's outbox rows


def post(outbox: Outbox, config: TeamConfig, data: DigestData) -> None:
    """The month's digest in the digest channel, and its summary DMed to each leader."""
    text, blocks = ui.staff_digest(data)
    outbox.post(config.channels.digest, text, blocks, dedupe=_outbox_key(data.month, "staff"))
    summary = ui.leadership_summary(data)
    for leader in config.digest.leaders:
        outbox.dm(leader, summary, dedupe=_outbox_key(data.month, f"leader:{leader}"))


@dataclass
class Delivery:
    """What became of a month's digest messages in the outbox."""

    sent: int = 0
    waiting: int = 0
    staff_refused: str | None = None  # Slack's error for the staff post
    refused: dict[str, str] = field(default_factory=dict)  # leader: Slack's error for their message


def delivery(session: Session, month: str) -> Delivery:
    result = Delivery()
    for send in history.sends(session, _outbox_key(month, "%")):
        if send.status == "sent":
            result.sent += 1
        elif send.status != "failed":
            result.waiting += 1
        elif send.dedupe_key == _outbox_key(month, "staff"):
            result.staff_refused = send.error or "refused"
        else:
            result.refused[send.dedupe_key.rsplit(":", 1)[-1]] = send.error or "refused"
    return result


def release(session: Session, month: str) -> None:
    """Forget that `month`'s digest was posted, and its refused messages, so it can be posted again.
    Messages already sent (a leader's summary) keep their rows, so posting again never repeats them."""
    digest.release(session, month)
    history.forget_refused(session, _outbox_key(month, "%"))
