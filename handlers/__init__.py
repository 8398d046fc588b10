"""One module per Slack surface; each exports register(app)."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime.deps import Clock
from bot.runtime.inbox import Handler


def inbox_handlers() -> dict[str, Handler]:
    """What each kind of inbox row does (bot/runtime/inbox.py)."""
    from handlers import checkin

    return dict(checkin.INBOX)


def register_all(app: App, clock: Clock) -> dict[str, object]:
    """Register every listener; what some keep per app (by the clock), which the app puts in
    every request's context."""
    from handlers import (
        admin,
        checkin,
        concern,
        digest,
        home,
        leadership,
        lifecycle,
        people,
        questions,
        strategy,
        yourdata,
    )

    # Bolt tries listeners in the order they were registered, building the keyword arguments
    # of each matcher it tries: the two busiest requests (a check-in, /concern) come first.
    app.view(checkin.views.MODAL)(checkin.submit_checkin)
    app.command("/concern")(concern.concern_command)
    checkin.register(app)
    kept = concern.register(app, clock)
    for module in (leadership, people, home, strategy, admin, questions, digest, yourdata):
        module.register(app)
    return kept | lifecycle.register(app, clock)
