"""Alerts from listening tools: messages in the alerts channel that open escalations by rule."""
