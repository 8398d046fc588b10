"""Signed requests shaped like Slack's: form bodies for commands and interactivity, JSON events."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.standin.blockkit import check_response_action
from bot.standin.slack import dm_channel, trigger_id

SECRET = "test-signing-secret"


def signature(body: str, timestamp: str, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class SlackRequests:
    """Posts to the app's real HTTP endpoint the way Slack does."""

    url: str
    team_id: str = "T0001"
    secret: str = SECRET
    last_trigger: str = ""  # the trigger id of the latest command or interaction

    def new_trigger(self) -> str:
        """A fresh trigger id for the next request, as Slack makes one per click."""
        self.last_trigger = trigger_id()
        return self.last_trigger

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: str | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        timestamp = timestamp or str(int(time.time()))
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature(body, timestamp, secret or self.secret),
            **(headers or {}),
        }
        request = urllib.request.Request(self.url, data=body.encode(), headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())

    def form(self, fields: dict[str, str], **kwargs: Any) -> Reply:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kwargs)

    def command(self, command: str, text: str = "", *, user: str, **kwargs: Any) -> Reply:
        return self.form(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "team_domain": "acme",
                "channel_id": dm_channel(user),
                "channel_name": "directmessage",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0APP",
                "is_enterprise_install": "false",
                "response_url": f"{self.response_url}/commands/{user}",
                "trigger_id": self.new_trigger(),
            },
            **kwargs,
        )

    response_url: str = "http://127.0.0.1:9/response"

    def interactive(self, payload: dict[str, Any], **kwargs: Any) -> Reply:
        """Post an interaction; a view_submission's answer must be one Slack takes."""
        reply = self.form({"payload": json.dumps(payload)}, **kwargs)
        if payload.get("type") == "view_submission" and reply.status == 200:
            answer = reply.json() if reply.body.startswith("{") else None
            problems = check_response_action(answer, payload.get("view") or {})
            assert not problems, "Slack would refuse the answer:\n" + "\n".join(problems)
        return reply

    def action(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        channel: str | None = None,
        ts: str = "1700000000.000001",
    ) -> Reply:
        channel = channel or dm_channel(user)
        return self.interactive(
            {
                "type": "block_actions",
                "team": {"id": self.team_id, "domain": "acme"},
                "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
                "api_app_id": "A0APP",
                "token": "legacy",
                "trigger_id": self.new_trigger(),
                "container": {
                    "type": "message",
                    "message_ts": ts,
                    "channel_id": channel,
                    "is_ephemeral": False,
                },
                "channel": {"id": channel, "name": "directmessage"},
                "message": {"type": "message", "ts": ts, "text": "", "blocks": []},
                "response_url": f"{self.response_url}/actions/{user}",
                "actions": [
                    {
                        "action_id": action_id,
                        "block_id": "b",
                        "type": "button",
                        "value": value,
                        "action_ts": "1700000001.000001",
                    }
                ],
            }
        )

    def home_action(self, action_id: str, value: str, *, user: str) -> Reply:
        """A button clicked in App Home: no message, no response_url, only a trigger."""
        return self.interactive(
            {
                "type": "block_actions",
                "team": {"id": self.team_id},
                "user": {"id": user, "team_id": self.team_id},
                "api_app_id": "A0APP",
                "trigger_id": self.new_trigger(),
                "view": {"type": "home", "id": "VHOME"},
                "container": {"type": "view", "view_id": "VHOME"},
                "actions": [
                    {
                        "action_id": action_id,
                        "value": value,
                        "type": "button",
                        "block_id": "b",
                        "action_ts": "1.1",
                    }
                ],
            }
        )

    def submit(self, view: dict[str, Any], values: dict[str, Any], *, user: str) -> Reply:
        return self.interactive(
            {
                "type": "view_submission",
                "team": {"id": self.team_id, "domain": "acme"},
                "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
                "api_app_id": "A0APP",
                "token": "legacy",
                "trigger_id": self.new_trigger(),
                "view": {
                    **view,
                    "id": "V0001",
                    "team_id": self.team_id,
                    "state": {"values": values},
                    "hash": "h",
                    "app_id": "A0APP",
                },
                "response_urls": [],
            }
        )

    def event(self, event: dict[str, Any], *, headers: dict[str, str] | None = None) -> Reply:
        envelope = {
            "token": "legacy",
            "team_id": self.team_id,
            "api_app_id": "A0APP",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{abs(hash(json.dumps(event)))}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": self.team_id,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        return self.post(json.dumps(envelope), "application/json", headers=headers)


def text_values(**answers: str) -> dict[str, Any]:
    """state.values for the check-in modal's text inputs."""
    return {
        key: {"value": {"type": "plain_text_input", "value": text}} for key, text in answers.items()
    }


def select_value(block_id: str, value: str | None) -> dict[str, Any]:
    chosen = {"value": value, "text": {"type": "plain_text", "text": value}} if value else None
    return {block_id: {"value": {"type": "static_select", "selected_option": chosen}}}
