"""Every action id, modal callback id and shortcut callback id teambot uses, in one place."""

from enum import StrEnum


class ActionId(StrEnum):
    # Drafts and approvals
    APPROVE = "draft_approve"
    REJECT = "draft_reject"
    REQUEST_CHANGES = "draft_request_changes"
    ADD_REASON = "draft_add_reason"
    # Escalations and handoffs
    ESCALATION_ACK = "escalation_ack"
    ESCALATION_RESOLVE = "escalation_resolve"
    ESCALATION_REASSIGN = "escalation_reassign"
    HANDOFF_ACK = "handoff_ack"
    SHIFT_SWAP_TAKE = "shift_swap_take"
    # Ideas
    IDEA_ACCEPT = "idea_accept"
    IDEA_DECLINE = "idea_decline"
    # Checklists: one checkboxes element per item, told apart by block id
    CHECKLIST_ITEM = "checklist_item"
    # The planning meeting
    MEETING_ADD_UPDATE = "meeting_add_update"
    # The publishing calendar
    CALENDAR_PLAN = "calendar_plan"
    CALENDAR_MARK_PUBLISHED = "calendar_mark_published"
    # The weekly report
    REPORT_EXPLAIN = "report_explain"
    # Settings chosen in Slack (the button on the Home tab of strategists and admins)
    SETTINGS_OPEN = "settings_open"
    # Crisis mode
    CRISIS_START = "crisis_start"
    CRISIS_POST_UPDATE = "crisis_post_update"


class ViewId(StrEnum):
    DRAFT_REASON = "draft_reason"
    ESCALATE = "escalate_modal"
    ESCALATION_REASSIGN = "escalation_reassign_modal"
    IDEA = "idea_modal"
    IDEA_DECLINE = "idea_decline_modal"
    MEETING_UPDATE = "meeting_update_modal"
    CALENDAR_PLAN = "calendar_plan_modal"
    CALENDAR_PUBLISHED = "calendar_published_modal"
    REPORT_EXPLANATION = "report_explanation_modal"
    SETTINGS = "settings_modal"
    CRISIS_UPDATE = "crisis_update_modal"


class ShortcutId(StrEnum):
    ESCALATE_MESSAGE = "escalate_message"
    SUBMIT_IDEA = "submit_idea"
