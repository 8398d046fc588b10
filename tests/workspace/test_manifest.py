"""app.yml is the contract: valid for Slack, and in step with the listeners the app registers."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import handlers
from bot.runtime.deps import utcnow
from bot.workspace.manifest import dump, http_manifest, load_manifest

SCHEMA = Path(__file__).parents[3] / "shared/slack/manifest.schema.1.0.0.json"
URL = "https://leadbot.example.com"

# DESIGN.md, "Runtime".
BOT_SCOPES = {
    "chat:write",
    "chat:write.public",
    "commands",
    "users:read",
    "users:read.email",
    "im:write",
    "files:write",
    # conversations.members: who reads the leadership channel (public, private)
    "channels:read",
    "groups:read",
}
BOT_EVENTS = {"app_home_opened", "user_change", "team_join", "app_uninstalled", "tokens_revoked"}

# Declared in app.yml, listener not written yet. Remove each name as its handler lands;
# the listener test fails once one of these gets a listener, so this set only shrinks.
LATER: set[str] = set()

# Scopes a listener kind or event needs to be delivered at all.
NEEDS_SCOPE = {"command": "commands", "user_change": "users:read", "team_join": "users:read"}


class Recorder:
    """Stands in for the Bolt app and notes every id that register_all() listens to."""

    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = defaultdict(set)

    def _note(self, kind: str, constraint: Any) -> Callable[[Callable], Callable]:
        if isinstance(constraint, dict):  # e.g. {"type": "view_closed", "callback_id": "x"}
            constraint = (
                constraint.get("callback_id")
                or constraint.get("action_id")
                or constraint.get("type")
            )
        self.seen[kind].add(
            constraint.pattern if isinstance(constraint, re.Pattern) else str(constraint)
        )
        return lambda function: function

    def command(self, name: Any, *_: Any, **__: Any) -> Callable[[Callable], Callable]:
        return self._note("command", name)

    def event(self, name: Any, *_: Any, **__: Any) -> Callable[[Callable], Callable]:
        return self._note("event", name)

    def action(self, id: Any, *_: Any, **__: Any) -> Callable[[Callable], Callable]:
        return self._note("action", id)

    block_action = action

    def view(self, id: Any, *_: Any, **__: Any) -> Callable[[Callable], Callable]:
        return self._note("view", id)

    view_submission = view
    view_closed = view

    def options(self, id: Any, *_: Any, **__: Any) -> Callable[[Callable], Callable]:
        return self._note("options", id)

    def shortcut(self, id: Any, *_: Any, **__: Any) -> Callable[[Callable], Callable]:
        return self._note("shortcut", id)

    def middleware(self, function: Callable) -> Callable:
        return function

    error = middleware
    use = middleware


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_manifest()


@pytest.fixture(scope="module")
def registered() -> dict[str, set[str]]:
    recorder = Recorder()
    handlers.register_all(recorder, utcnow)  # type: ignore[arg-type]
    return recorder.seen


@pytest.mark.skipif(not SCHEMA.exists(), reason=f"Slack's manifest schema not found at {SCHEMA}")
@pytest.mark.parametrize("variant", ["socket", "http"])
def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any], variant: str) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = manifest if variant == "socket" else http_manifest(URL)
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft7Validator)
    # The schema spells this one "regex", which validators ignore; Slack does not.
    color = document["display_information"]["background_color"]
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", color)


def test_manifest_asks_for_exactly_the_designed_scopes_and_events(manifest: dict) -> None:
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert len(manifest["oauth_config"]["scopes"]["bot"]) == len(BOT_SCOPES)
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == BOT_EVENTS
    assert manifest["settings"]["org_deploy_enabled"] is False
    assert manifest["settings"]["socket_mode_enabled"] is True


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {key for value in node.values() for key in _keys(value)}
    if isinstance(node, list):
        return {key for item in node for key in _keys(item)}
    return set()


def test_socket_mode_manifest_has_no_request_urls(manifest: dict[str, Any]) -> None:
    assert {key for key in _keys(manifest) if key.endswith("url") or key.endswith("urls")} == set()


def test_every_registered_listener_is_declared(manifest: dict, registered: dict) -> None:
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    shortcuts = {s["callback_id"] for s in manifest["features"].get("shortcuts", [])}
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])

    assert registered["command"] <= commands, "commands missing from app.yml features"
    assert registered["event"] <= events, "events missing from app.yml bot_events"
    assert registered["shortcut"] <= shortcuts, "shortcuts missing from app.yml features"
    if registered["action"] | registered["view"] | registered["options"] | registered["shortcut"]:
        assert manifest["settings"]["interactivity"]["is_enabled"] is True
    needed = {NEEDS_SCOPE[name] for name in registered["event"] if name in NEEDS_SCOPE}
    if registered["command"]:
        needed.add(NEEDS_SCOPE["command"])
    assert needed <= scopes


def test_every_declared_command_and_event_has_a_listener(manifest: dict, registered: dict) -> None:
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    declared |= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    handled = registered["command"] | registered["event"]
    assert declared - handled - LATER == set(), "declared in app.yml, but nothing listens"
    assert LATER & handled == set(), "these have listeners now: remove them from LATER"


def test_http_manifest_points_everything_at_the_events_url() -> None:
    manifest = http_manifest(URL + "/")
    events = f"{URL}/slack/events"
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["settings"]["event_subscriptions"]["request_url"] == events
    assert manifest["settings"]["interactivity"]["request_url"] == events
    assert {c["url"] for c in manifest["features"]["slash_commands"]} == {events}
    assert manifest["oauth_config"]["redirect_urls"] == [f"{URL}/slack/oauth_redirect"]
    assert load_manifest()["settings"]["socket_mode_enabled"] is True  # app.yml untouched


@pytest.mark.parametrize(
    "url",
    [
        "http://leadbot.example.com",
        "leadbot.example.com",
        "https://",
        "https://leadbot.example.com/?x=1",
        "",
    ],
)
def test_http_manifest_refuses_a_url_that_is_not_https(url: str) -> None:
    with pytest.raises(ValueError, match="https://"):
        http_manifest(url)


def test_dump_round_trips_through_yaml(manifest: dict[str, Any]) -> None:
    assert yaml.safe_load(dump(http_manifest(URL))) == http_manifest(URL)
    assert yaml.safe_load(dump(manifest)) == manifest
