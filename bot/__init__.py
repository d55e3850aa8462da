"""teambot: the Slack bot that runs a social-media team's daily coordination."""

__version__ = "0.1.0"
