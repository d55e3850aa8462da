"""One package per feature: its models, service, notices, blocks, listeners and jobs."""
