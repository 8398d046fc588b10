"""The Slack app manifest: app.yml (Socket Mode) and its HTTP variant."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

# app.yml sits at the project root, beside the bot package.
MANIFEST_PATH = Path(__file__).resolve().parents[2] / "app.yml"


def load_manifest(path: Path | None = None) -> dict[str, Any]:
    """Read the Socket Mode manifest (app.yml at the project root unless `path` is given)."""
    path = path or MANIFEST_PATH
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict):
        raise ValueError(f"{path} is not a Slack app manifest (expected a YAML mapping)")
    return manifest


def _base_url(url: str) -> str:
    """The public https base URL without a trailing slash; ValueError in kind words if not."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"Slack needs the public https:// address of leadbot, like "
            f"https://leadbot.example.com (got {url!r}). Slack only calls HTTPS URLs; for a "
            f"local try-out without one, use Socket Mode with app.yml instead."
        )
    return url.strip().rstrip("/")


def http_manifest(url: str, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """The HTTP variant of the manifest, with every request URL under the https `url`."""
    base = _base_url(url)
    events_url = f"{base}/slack/events"
    result = copy.deepcopy(manifest if manifest is not None else load_manifest())
    settings = result.setdefault("settings", {})
    settings["socket_mode_enabled"] = False
    settings.setdefault("event_subscriptions", {})["request_url"] = events_url
    interactivity = settings.setdefault("interactivity", {"is_enabled": True})
    interactivity["request_url"] = events_url
    # Bolt answers external-select option loads on the same endpoint.
    interactivity["message_menu_options_url"] = events_url
    for command in result.get("features", {}).get("slash_commands", []):
        command["url"] = events_url
    result.setdefault("oauth_config", {})["redirect_urls"] = [f"{base}/slack/oauth_redirect"]
    return result


def dump(manifest: dict[str, Any]) -> str:
    """The manifest as YAML, keys in their declared order."""
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=4096)
