"""Which bot token a workspace's messages go out with: SLACK_BOT_TOKEN, or its installation's."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import yaml
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.outbox.pacer import POST_MESSAGE, Pacer, Rate, paced_client
from bot.settings import Settings
from bot.workspace.oauth import installation_store

logger = logging.getLogger(__name__)

ClientFor = Callable[[str], WebClient]


def client_factory(
    settings: Settings, engine: Engine, *, pacer: Callable[[], Pacer] | None = None
) -> ClientFor:
    """`client_for(workspace_id)`: the sender's paced, retrying client for a workspace.

    Slack's rate limits are per workspace, so each workspace has its own pacer. In OAuth mode
    the token is the workspace's installed bot token, read (and decrypted) on every call so an
    uninstall or a reinstall takes effect at once; a workspace with no installation gets a
    client without a token, whose calls Slack refuses (`not_authed`), failing only its rows.
    """
    rate = Rate(settings.send_rate, POST_MESSAGE.burst)
    make_pacer = pacer or (lambda: Pacer(post_message=rate))
    if not settings.oauth:
        client = paced_client(settings.bot_token, settings.slack_api_url, make_pacer())
        return lambda _workspace: client
    store = installation_store(settings, engine)
    pacers: dict[str, Pacer] = {}
    lock = threading.Lock()

    def client_for(workspace_id: str) -> WebClient:
        with lock:
            workspace_pacer = pacers.setdefault(workspace_id, make_pacer())
        bot = store.find_bot(enterprise_id=None, team_id=workspace_id)
        if bot is None:
            logger.warning("no installation for workspace %s: nothing can be sent", workspace_id)
        token = bot.bot_token if bot is not None else None
        return paced_client(token, settings.slack_api_url, workspace_pacer)  # type: ignore[arg-type]

    return client_for


def org_file_workspace(path: str | Path) -> str | None:
    """The `workspace:` an org file names, if it can be read (the importer checks the rest)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    workspace = data.get("workspace") if isinstance(data, dict) else None
    return workspace if isinstance(workspace, str) else None


def import_client(settings: Settings, engine: Engine, path: str | Path) -> WebClient:
    """The client `python -m bot import` resolves people with: in OAuth mode, that of the
    workspace the org file names (an org file without `workspace:` gets a tokenless client, so
    Slack refuses it and nothing changes)."""
    workspace = org_file_workspace(path) if settings.oauth else None
    return client_factory(settings, engine)(workspace or "")
