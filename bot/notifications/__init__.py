"""Turn the outcome of a domain action into messages: render with bot.blocks, queue in the outbox.
Shared by listeners and scheduled jobs."""
