"""The publishing calendar: a draft's plan (accounts and slot), its publications, calendar notes,
the keys of the timers already fired for a plan, and the iCalendar file's events as last written."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class Plan(Base):
    """Where and when a draft goes out. `slot` is None while only the accounts are known."""

    __tablename__ = "calendar_plans"
    __table_args__ = (Index("ix_calendar_plans_slot", "slot"),)

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    # Account names, comma-separated, in the order they were written.
    accounts: Mapped[str] = mapped_column(String(500))
    slot: Mapped[datetime | None]
    brand: Mapped[str] = mapped_column(String(40), default="")
    # The first words of the draft (after the plan prefix) and its links, for the calendar views.
    summary: Mapped[str] = mapped_column(String(200), default="")
    links: Mapped[str] = mapped_column(Text, default="")
    planned_by: Mapped[str] = mapped_column(String(32))
    planned_at: Mapped[datetime]

    def account_names(self) -> list[str]:
        return [a for a in self.accounts.split(",") if a]


class PlanAccount(Base):
    """One row per planned account and slot: what the collision check and the per-account
    calendar read through an index."""

    __tablename__ = "calendar_plan_accounts"
    __table_args__ = (Index("ix_calendar_plan_accounts_account_slot", "account", "slot"),)

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    account: Mapped[str] = mapped_column(String(40), primary_key=True)
    slot: Mapped[datetime | None]


class ClientApprover(Base):
    """Who held the chain role `client` for a planned draft when the plan was made (like the chain,
    kept with the draft): one row per person, so "drafts waiting at a client step for me" and "no
    client left to take it" are indexed reads rather than a scan of every plan."""

    __tablename__ = "calendar_client_approvers"
    __table_args__ = (Index("ix_calendar_client_approvers_user_draft", "user_id", "draft_id"),)

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The order of the brand's `client_approvers`, in which they are named.
    position: Mapped[int]


class Publication(Base):
    """A planned account marked published: who, when and where (one per draft and account)."""

    __tablename__ = "calendar_publications"
    __table_args__ = (UniqueConstraint("draft_id", "account", name="uq_calendar_publications_draft_account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    account: Mapped[str] = mapped_column(String(40))
    by: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    url: Mapped[str | None] = mapped_column(String(500))


class CalendarNote(Base):
    """A note on one or more days (holidays, campaigns, launches); a blackout note warns of any
    post planned inside it."""

    __tablename__ = "calendar_notes"
    __table_args__ = (Index("ix_calendar_notes_start_end", "start", "end"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    start: Mapped[date]
    end: Mapped[date]
    blackout: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class TimerFired(Base):
    """A calendar timer that has done its work: (draft, what, for which slot). Inserted in the same
    transaction as the work, so a restart or a second replica never does it twice."""

    __tablename__ = "calendar_timers"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    slot: Mapped[datetime] = mapped_column(primary_key=True)
    fired_at: Mapped[datetime]


class WeekPosted(Base):
    """The weekly calendar post, once per `week_cron` run (its wall-clock key)."""

    __tablename__ = "calendar_weeks_posted"

    run: Mapped[str] = mapped_column(String(20), primary_key=True)
    posted_at: Mapped[datetime]


class KeptEvents(Base):
    """The iCalendar events of one planned post (one per account) or one note, as icalendar last
    serialized them, so that the next export need not serialize them again. `fingerprint`
    digests the row they were made of and what wrote them (see `ics.fingerprint`): the bytes
    stand for the row only while it still gives the same fingerprint."""

    __tablename__ = "calendar_ics_events"

    # `draft-N` or `note-N`.
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32))
    ical: Mapped[bytes] = mapped_column(LargeBinary)
