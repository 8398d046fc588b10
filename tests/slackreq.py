"""Signed Slack requests live in the package (the demo sends them too)."""

from bot.standin.requests import (
    SECRET,
    Reply,
    SlackRequests,
    select_value,
    signature,
    text_values,
)

__all__ = ["SECRET", "Reply", "SlackRequests", "select_value", "signature", "text_values"]
