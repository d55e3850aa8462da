"""The team's style guide: `/guide` and the "How we handle this" section on escalations."""
