"""One module per Slack surface; each exports register(app)."""

from __future__ import annotations

from slack_bolt import App


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
