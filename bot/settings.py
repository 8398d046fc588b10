"""Typed, validated, frozen settings read from a plain mapping (the environment)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///leadbot.db"

_WHERE = {
    "SLACK_BOT_TOKEN": "api.slack.com/apps → your app → OAuth & Permissions → Bot User OAuth Token",
    "SLACK_SIGNING_SECRET": "api.slack.com/apps → your app → Basic Information → Signing Secret",
    "SLACK_APP_TOKEN": "api.slack.com/apps → your app → Basic Information → App-Level Tokens "
    "(scope connections:write)",
}


class SettingsError(Exception):
    """Raised with one line per missing or malformed setting."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    bot_token: str
    signing_secret: str | None
    app_token: str | None = None
    slack_api_url: str = SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    log_level: str = "INFO"
    tick_seconds: int = 20

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None


def _problem(name: str, what: str) -> str:
    where = _WHERE.get(name)
    return f"{name}: {what}" + (f" (find it at {where})" if where else "")


def load_settings(env: Mapping[str, str], *, require_slack: bool = True) -> Settings:
    """Build settings from `env`; raise SettingsError naming every bad or missing value."""
    problems: list[str] = []
    get = lambda name: (env.get(name) or "").strip() or None  # noqa: E731

    bot_token = get("SLACK_BOT_TOKEN")
    app_token = get("SLACK_APP_TOKEN")
    signing_secret = get("SLACK_SIGNING_SECRET")
    if require_slack:
        if bot_token is None:
            problems.append(_problem("SLACK_BOT_TOKEN", "missing"))
        elif not bot_token.startswith("xoxb-"):
            problems.append(_problem("SLACK_BOT_TOKEN", "must start with xoxb-"))
        if app_token is not None and not app_token.startswith("xapp-"):
            problems.append(_problem("SLACK_APP_TOKEN", "must start with xapp-"))
        if app_token is None and signing_secret is None:
            problems.append(
                _problem(
                    "SLACK_SIGNING_SECRET", "missing (needed in HTTP mode, without SLACK_APP_TOKEN)"
                )
            )

    api_url = get("SLACK_API_URL") or SLACK_API_URL
    if not api_url.startswith(("http://", "https://")):
        problems.append(_problem("SLACK_API_URL", "must be an http(s) URL"))
    if not api_url.endswith("/"):
        api_url += "/"

    port_text = get("PORT") or "3000"
    port = int(port_text) if port_text.isdigit() else 0
    if not 0 < port < 65536:
        problems.append(_problem("PORT", f"must be a port number, got {port_text!r}"))

    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(log_level), int):
        problems.append(_problem("LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR"))

    tick_text = get("LEADBOT_TICK_SECONDS") or "20"
    if not tick_text.isdigit() or int(tick_text) < 1:
        problems.append(_problem("LEADBOT_TICK_SECONDS", "must be a whole number of seconds"))

    if problems:
        raise SettingsError(problems)
    return Settings(
        bot_token=bot_token or "",
        signing_secret=signing_secret,
        app_token=app_token,
        slack_api_url=api_url,
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        port=port,
        log_level=log_level,
        tick_seconds=int(tick_text),
    )
