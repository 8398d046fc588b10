"""One module per Slack surface; each exports register(app)."""

from __future__ import annotations

from slack_bolt import App

from bot.inbox import Handler


def inbox_handlers() -> dict[str, Handler]:
    """What each kind of inbox row does (bot/inbox.py)."""
    from handlers import checkin

    return dict(checkin.INBOX)


def register_all(app: App) -> None:
    from handlers import (
        admin,
        checkin,
        concern,
        digest,
        home,
        leadership,
        lifecycle,
        people,
        strategy,
        yourdata,
    )

    modules = (checkin, leadership, people, home, strategy, concern, admin, digest)
    for module in (*modules, lifecycle, yourdata):
        module.register(app)
