"""What knows no Slack and no feature: clock, errors, text, cron, wall-clock arithmetic, the config
schema, the environment, the database, the ORM base and the export writers."""
