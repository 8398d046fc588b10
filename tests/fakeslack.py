"""The fake Slack Web API lives in the package (the demo uses it too)."""

from bot.standin.slack import Call, FakeSlack, dm_channel, trigger_id

__all__ = ["Call", "FakeSlack", "dm_channel", "trigger_id"]
