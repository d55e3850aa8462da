"""The `teambot` command, one module per group of subcommands."""
