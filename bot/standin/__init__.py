"""A local stand-in for Slack: its Web API over real HTTP, and signed requests shaped like
Slack's. The tests and `python -m bot demo` use it; nothing here talks to real Slack."""
