"""One module per Slack surface; each exports register(app)."""

from __future__ import annotations

from slack_bolt import App


def register_all(app: App) -> None:
    from handlers import admin, checkin, concern, digest, home, leadership, people, strategy

    for module in (checkin, leadership, people, home, strategy, concern, admin, digest):
        module.register(app)
