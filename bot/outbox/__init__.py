"""Delivery to Slack: the queue written in the same transaction as a change, and the sender that drains it."""
