"""The composition root: the features teambot is made of, listed once. Everything that needs "all
the features" (the Bolt app's listeners, the event routing, the scheduler's jobs, the export
sections, the tables) reads this list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

from slack_bolt import App
from sqlalchemy.orm import Session, sessionmaker

from bot.core import export
from bot.core.export import Section
from bot.features.alerts import listeners as alerts_listeners
from bot.features.approvals import extensions as approvals_extensions
from bot.features.approvals import jobs as approvals_jobs
from bot.features.approvals import listeners as approvals_listeners
from bot.features.approvals import models as approvals_models
from bot.features.approvals import service as approvals_service
from bot.features.calendar import extensions as calendar_extensions
from bot.features.calendar import jobs as calendar_jobs
from bot.features.calendar import listeners as calendar_listeners
from bot.features.calendar import models as calendar_models
from bot.features.calendar import service as calendar_service
from bot.features.checklists import jobs as checklists_jobs
from bot.features.checklists import listeners as checklists_listeners
from bot.features.checklists import models as checklists_models
from bot.features.checklists import service as checklists_service
from bot.features.crisis import jobs as crisis_jobs
from bot.features.crisis import listeners as crisis_listeners
from bot.features.crisis import models as crisis_models
from bot.features.crisis import notices as crisis_notices
from bot.features.crisis import service as crisis_service
from bot.features.digest import jobs as digest_jobs
from bot.features.digest import models as digest_models
from bot.features.digest import notices as digest_notices
from bot.features.digest import service as digest_service
from bot.features.escalations import jobs as escalations_jobs
from bot.features.escalations import listeners as escalations_listeners
from bot.features.escalations import models as escalations_models
from bot.features.escalations import service as escalations_service
from bot.features.guide import listeners as guide_listeners
from bot.features.handoffs import jobs as handoffs_jobs
from bot.features.handoffs import listeners as handoffs_listeners
from bot.features.handoffs import models as handoffs_models
from bot.features.handoffs import service as handoffs_service
from bot.features.home import jobs as home_jobs
from bot.features.home import listeners as home_listeners
from bot.features.home import models as home_models
from bot.features.home import notices as home_notices
from bot.features.home import service as home_service
from bot.features.ideas import listeners as ideas_listeners
from bot.features.ideas import models as ideas_models
from bot.features.ideas import service as ideas_service
from bot.features.meeting import jobs as meeting_jobs
from bot.features.meeting import listeners as meeting_listeners
from bot.features.meeting import models as meeting_models
from bot.features.metrics import imports as metrics_imports
from bot.features.metrics import listeners as metrics_listeners
from bot.features.metrics import models as metrics_models
from bot.features.metrics import service as metrics_service
from bot.features.report import jobs as report_jobs
from bot.features.report import listeners as report_listeners
from bot.features.report import models as report_models
from bot.features.report import service as report_service
from bot.features.roles import listeners as roles_listeners
from bot.features.roles import models as roles_models
from bot.features.roles import service as roles_service
from bot.features.settings import listeners as settings_listeners
from bot.features.settings import models as settings_models
from bot.features.settings import service as settings_service
from bot.features.settings.blocks import settings_button
from bot.features.shifts import jobs as shifts_jobs
from bot.features.shifts import listeners as shifts_listeners
from bot.features.shifts import models as shifts_models
from bot.features.shifts import service as shifts_service
from bot.outbox import models as outbox_models
from bot.scheduler import housekeeping, runner
from bot.scheduler import models as scheduler_models
from bot.scheduler.context import Job
from bot.slack import app as slack_app
from bot.slack import events
from bot.slack import models as slack_models
from bot.slack.events import MessageHandler, ReactionHandler
from bot.slack.runtime import Runtime


@dataclass(frozen=True)
class Feature:
    """What one feature adds to the running bot."""

    name: str
    models: ModuleType | None
    register: Callable[[App], None] | None = None
    jobs: tuple[Job, ...] = ()
    # The export's sections, in the order they appear in `teambot export`.
    export: Mapping[str, Section] = field(default_factory=dict)
    on_reaction: ReactionHandler | None = None
    on_message: MessageHandler | None = None
    # LIKE patterns of outbox dedupe keys that housekeeping keeps (the feature's own records).
    kept_outbox_keys: tuple[str, ...] = ()


# The order is the export's order of sections, the order jobs run in and the order listeners are
# tried in.
FEATURES: tuple[Feature, ...] = (
    Feature(
        "approvals",
        approvals_models,
        approvals_listeners.register,
        approvals_jobs.JOBS,
        {"drafts": approvals_service.export_drafts},
        on_reaction=approvals_listeners.on_reaction,
        on_message=approvals_listeners.on_message,
    ),
    Feature(
        "escalations",
        escalations_models,
        escalations_listeners.register,
        escalations_jobs.JOBS,
        {"escalations": escalations_service.export_escalations},
        on_reaction=escalations_listeners.on_reaction,
    ),
    Feature(
        "handoffs",
        handoffs_models,
        handoffs_listeners.register,
        handoffs_jobs.JOBS,
        {"handoffs": handoffs_service.export},
    ),
    Feature(
        "ideas",
        ideas_models,
        ideas_listeners.register,
        (),
        {"ideas": ideas_service.export},
        on_reaction=ideas_listeners.on_reaction,
    ),
    Feature(
        "checklists",
        checklists_models,
        checklists_listeners.register,
        checklists_jobs.JOBS,
        {"checklist_runs": checklists_service.export},
    ),
    Feature(
        "digest",
        digest_models,
        None,
        digest_jobs.JOBS,
        {"digests": digest_service.export},
        kept_outbox_keys=(digest_notices.OUTBOX_KEYS,),
    ),
    # Beyond the documented minimum of the export, so a backup holds everything the team entered.
    Feature(
        "metrics",
        metrics_models,
        metrics_listeners.register,
        (),
        {"post_metrics": metrics_service.export, "account_days": metrics_imports.export_account_days},
    ),
    Feature("roles", roles_models, roles_listeners.register, (), {"roles": roles_service.export}),
    Feature(
        "shifts",
        shifts_models,
        shifts_listeners.register,
        shifts_jobs.JOBS,
        {
            "shift_notes": shifts_service.export_notes,
            "shift_overrides": shifts_service.export_overrides,
            "shift_absences": shifts_service.export_absences,
        },
    ),
    Feature("alerts", None, on_message=alerts_listeners.on_message),
    Feature("guide", None, guide_listeners.register),
    Feature("meeting", meeting_models, meeting_listeners.register, meeting_jobs.JOBS),
    Feature(
        "calendar",
        calendar_models,
        calendar_listeners.register,
        calendar_jobs.JOBS,
        {"calendar_notes": calendar_service.export_notes},
    ),
    Feature("report", report_models, report_listeners.register, report_jobs.JOBS, {"reports": report_service.export}),
    Feature(
        "settings",
        settings_models,
        settings_listeners.register,
        (),
        {"settings_changes": settings_service.export},
    ),
    Feature("crisis", crisis_models, crisis_listeners.register, crisis_jobs.JOBS, {"crises": crisis_service.export}),
    # Last: its job republishes Home tabs after what the other jobs changed in the same tick.
    Feature("home", home_models, home_listeners.register, home_jobs.JOBS),
)

# The calendar plans drafts, holds the chain role `client` and adds to their status and export.
approvals_extensions.install(calendar_listeners.CalendarDrafts())
# `/team settings` opens the settings chosen in Slack (also the Home tab's Settings button).
roles_listeners.add_subcommand("settings", settings_listeners.settings_command)


def _settings_on_home(session: Session, config: Any, user: str) -> list[dict[str, Any]]:
    # Strategists and workspace admins/owners (as Slack said when they opened the tab) see the
    # Settings button on their tab; opening the settings checks admins again.
    allowed = roles_service.has_role(session, user, "strategist") or home_service.is_workspace_admin(session, user)
    return [settings_button()] if allowed else []


home_notices.EXTRAS.append(_settings_on_home)

# Crisis mode holds drafts planned into its window (also after an edit) and puts its banner on the
# calendar; the calendar's timers skip held drafts by their status.
approvals_extensions.install(crisis_listeners.CrisisDrafts())
calendar_extensions.install(crisis_notices.CrisisCalendar())
# A draft that says `idea #N` carries out that idea: linked (also after an edit), named on its status
# message and in the export, and credited to the idea in the digest.
approvals_extensions.install(ideas_listeners.IdeaDrafts())

# Tables that belong to no feature; with the features' models, importing this module registers
# every table on `Base.metadata` (Alembic and the tests rely on that).
PLATFORM_MODELS = (outbox_models, scheduler_models, slack_models)

housekeep = housekeeping.job(kept_outbox_keys=tuple(key for f in FEATURES for key in f.kept_outbox_keys))

JOBS: tuple[Job, ...] = (
    housekeep,
    *(job for feature in FEATURES for job in feature.jobs),
)

EXPORT_SECTIONS: dict[str, Section] = {name: section for f in FEATURES for name, section in f.export.items()}


def register_features(app: App) -> None:
    # Bolt tries listeners in order, and reactions and messages are most of the traffic: their
    # routers come first (one `message` and one reaction listener fan out to the features).
    events.register(
        app,
        [f.on_reaction for f in FEATURES if f.on_reaction is not None],
        [f.on_message for f in FEATURES if f.on_message is not None],
    )
    for feature in FEATURES:
        if feature.register is not None:
            feature.register(app)


def follow_settings(runtime: Runtime) -> Runtime:
    """Make the runtime use the configuration in force: the config file with the settings chosen in
    Slack laid over it, looked up again every few seconds (so a change made in any process is in
    force in this one without a restart)."""
    if runtime.config_source is None:
        runtime.config_source = settings_service.LiveConfig(runtime.session_factory)
    return runtime


def create_app(runtime: Runtime) -> App:
    """The Bolt app serving every feature."""
    return slack_app.create_app(follow_settings(runtime), register_features)


def run_jobs(runtime: Runtime, now: datetime) -> None:
    """Every scheduled job once for `now` (what each scheduler tick does; tests call it with frozen time)."""
    runner.run_jobs(follow_settings(runtime), now, JOBS)


def scheduler(runtime: Runtime) -> runner.SchedulerService:
    return runner.SchedulerService(follow_settings(runtime), JOBS)


def export_all(session: Session, since: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every record, in the documented shape (`teambot export`)."""
    return export.build(session, EXPORT_SECTIONS, since)


def calendar_ics(sessions: sessionmaker[Session]) -> bytes:
    """The publishing calendar as an iCalendar file (`teambot export --format ics`, /calendar.ics)."""
    from bot.features.calendar import ics  # icalendar is imported only by whoever asks for the file

    return ics.export(sessions)
