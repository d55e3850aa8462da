"""Content ideas, checklist runs, post metrics and digests (see the ideas/checklists/digest issue)."""
