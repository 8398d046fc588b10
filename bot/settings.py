"""Typed, validated, frozen settings read from a plain mapping (the environment)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.crypto import MAKE_KEY, key_problem

SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///leadbot.db"

_WHERE = {
    "SLACK_BOT_TOKEN": "api.slack.com/apps → your app → OAuth & Permissions → Bot User OAuth Token",
    "SLACK_SIGNING_SECRET": "api.slack.com/apps → your app → Basic Information → Signing Secret",
    "SLACK_APP_TOKEN": "api.slack.com/apps → your app → Basic Information → App-Level Tokens "
    "(scope connections:write)",
    "SLACK_CLIENT_ID": "api.slack.com/apps → your app → Basic Information → App Credentials",
    "SLACK_CLIENT_SECRET": "api.slack.com/apps → your app → Basic Information → App Credentials",
}
LOG_FORMATS = ("text", "json")


class SettingsError(Exception):
    """Raised with one line per missing or malformed setting."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    bot_token: str = field(repr=False)  # secrets stay out of any repr that reaches a log
    signing_secret: str | None = field(repr=False)
    app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    log_level: str = "INFO"
    tick_seconds: int = 20
    send_rate: float = (
        20.0  # chat.postMessage calls a second, per process (see bot/outbox/pacer.py)
    )
    client_id: str | None = (
        None  # set: a distributable app installed by OAuth (bot/workspace/oauth.py)
    )
    client_secret: str | None = field(default=None, repr=False)
    encryption_key: str | None = field(default=None, repr=False)
    log_format: str = "text"  # or "json", one object a line (bot/logs.py)

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def oauth(self) -> bool:
        """Many workspaces: tokens come from installations, not SLACK_BOT_TOKEN."""
        return self.client_id is not None


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
    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    encryption_key = get("LEADBOT_ENCRYPTION_KEY")
    oauth = client_id is not None or client_secret is not None
    if require_slack and oauth:
        problems += _oauth_problems(get)
    elif require_slack:
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

    rate_text = get("LEADBOT_SEND_RATE") or "20"
    try:
        send_rate = float(rate_text)
    except ValueError:
        send_rate = 0.0
    if not 0 < send_rate <= 10_000:
        problems.append(_problem("LEADBOT_SEND_RATE", "must be messages a second, e.g. 20"))

    log_format = (get("LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        problems.append(_problem("LOG_FORMAT", "must be text or json"))

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
        send_rate=send_rate,
        client_id=client_id if oauth else None,
        client_secret=client_secret,
        encryption_key=encryption_key,
        log_format=log_format,
    )


def _oauth_problems(get: Callable[[str], str | None]) -> list[str]:
    """OAuth mode: both app credentials, a Fernet key, a signing secret, and HTTP."""
    problems = [
        _problem(name, "missing (OAuth mode needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)")
        for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
        if get(name) is None
    ]
    key = get("LEADBOT_ENCRYPTION_KEY")
    if key is None:
        problems.append(
            _problem(
                "LEADBOT_ENCRYPTION_KEY",
                f"missing (OAuth mode encrypts installed tokens with it); make one with {MAKE_KEY}",
            )
        )
    elif (problem := key_problem(key)) is not None:
        problems.append(_problem("LEADBOT_ENCRYPTION_KEY", problem))
    if get("SLACK_SIGNING_SECRET") is None:
        problems.append(_problem("SLACK_SIGNING_SECRET", "missing (needed in OAuth mode)"))
    if get("SLACK_APP_TOKEN") is not None:
        problems.append(
            _problem("SLACK_APP_TOKEN", "leave it empty in OAuth mode (installing needs HTTP)")
        )
    return problems
