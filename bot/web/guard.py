"""Hostile input: what a request to `/slack/events` must be before Bolt sees it.

First who sent it: `authenticate` checks Slack's signature and its timestamp (within five
minutes) on the body's raw bytes, and looks at nothing else, so no unauthenticated byte
reaches parsing code; anything unsigned, badly signed or stale is refused with 401 whatever
its body. Only then what it is: `parse` wants a content type, a body that decodes, JSON that
is an object, and the envelope's fields of the types Slack sends (else 400), because Bolt
reads the envelope (team, user, channel, event, actions, view) before any listener runs, and
a body of the wrong shape would make it fail with a 500. The size limit (413) is
bot/web/server.py's, as the body is read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_IDS = ("team", "user", "channel", "enterprise")  # a string, or an object with a string "id"
_ID_FIELDS = ("team_id", "user_id", "channel_id", "enterprise_id", "api_app_id")
_ID = re.compile(r"[A-Za-z0-9_-]{0,32}")  # Slack's ids: short and plain; they reach our columns
_EVENT_ID = re.compile(r"[A-Za-z0-9_-]{0,64}")
_NESTED = ("event", "message", "previous_message", "item", "assistant_thread")
_STRINGS = (
    "type", "token", "trigger_id", "response_url", "callback_id", "action_id", "command",
    "text", "team_id", "user_id", "channel_id", "api_app_id", "event_id",
)  # fmt: skip
INTERACTIVE = ("block_actions", "view_submission", "view_closed", "shortcut", "message_action")


class Refused(Exception):
    """The request is refused with `status` before Bolt sees it."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class RawBodyVerifier(SignatureVerifier):
    """slack_sdk's verifier (its five-minute window, its constant-time comparison) hashing the
    bytes as Slack signed them: the stock one decodes them first, and raises on a body that is
    not UTF-8, which must get 401 when unsigned and 400 when signed, like any other body."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        """`v0=` and the HMAC-SHA256 of `v0:{timestamp}:{body}` under the signing secret."""
        raw = body.encode() if isinstance(body, str) else body
        base = b"v0:" + timestamp.encode() + b":" + raw
        return "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()


def verifier(signing_secret: str | None) -> SignatureVerifier | None:
    """The verifier for this secret; None without one, and then every request is refused."""
    return RawBodyVerifier(signing_secret) if signing_secret and signing_secret.strip() else None


def authenticate(
    verifier: SignatureVerifier | None, headers: Mapping[str, str], body: bytes
) -> None:
    """Refused(401) unless Slack signed these bytes, with a timestamp within five minutes."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    # The verifier's int() takes " 1", "+1" or other scripts' digits, and its comparison
    # raises on a signature that is not ASCII: neither can be Slack's.
    if (
        verifier is None
        or timestamp is None
        or signature is None
        or not _TIMESTAMP.fullmatch(timestamp)
        or not signature.isascii()
        or not verifier.is_valid(body, timestamp, signature)
    ):
        raise Refused(401, "invalid request")


def parse(content_type: str, body: bytes) -> dict[str, Any]:
    """The body as Bolt will read it; Refused(400) when it can't be, or isn't Slack-shaped."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in (JSON, FORM):
        raise Refused(400, "expected application/json or application/x-www-form-urlencoded")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8") from None
    if not text:
        return {}
    if media == JSON or text.startswith("{"):  # as Bolt decides
        payload = _json(text)
    elif "payload" in text:
        params = dict(parse_qsl(text, keep_blank_values=True))
        payload = _json(params["payload"]) if "payload" in params else {}
    else:
        payload = dict(parse_qsl(text, keep_blank_values=True))
        _check_command(payload)
    _check_envelope(payload)
    return payload


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, "the JSON body is not an object")
    return value


def _wrong(field: str) -> Refused:
    return Refused(400, f"{field} has the wrong type")


def _check_command(form: dict[str, str]) -> None:
    if "command" in form:
        for field in ("user_id", "team_id", "response_url", "trigger_id"):
            if not form.get(field):
                raise Refused(400, f"a slash command without {field}")


def _check_envelope(payload: dict[str, Any], depth: int = 0) -> None:
    for field in _STRINGS:
        if field in payload and not isinstance(payload[field], str):
            raise _wrong(field)
    for field in _IDS:
        value = payload.get(field)
        if isinstance(value, dict):
            value = value.get("id", "")
        if value is not None and not (isinstance(value, str) and _ID.fullmatch(value)):
            raise _wrong(field)
    for field in (*_ID_FIELDS, "event_id"):
        value, pattern = payload.get(field), _EVENT_ID if field == "event_id" else _ID
        if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
            raise _wrong(field)
    for field in ("authorizations", "response_urls", "actions"):
        items = payload.get(field)
        if items is not None and not (
            isinstance(items, list) and all(isinstance(i, dict) for i in items)
        ):
            raise _wrong(field)
    if payload.get("authorizations"):
        _check_envelope(payload["authorizations"][0], depth + 1)
    for action in payload.get("actions") or []:
        _check_strings(action, "actions", ("action_id", "block_id", "value", "type"))
    for field in ("view", "container", *_NESTED):
        if field in payload and not isinstance(payload[field], dict):
            raise _wrong(field)
    if isinstance(payload.get("view"), dict):
        _check_view(payload["view"])
    if depth < 3:
        for field in _NESTED:
            if field in payload:
                _check_envelope(payload[field], depth + 1)
    if depth == 0:
        _check_kind(payload)


def _check_strings(item: dict[str, Any], where: str, fields: tuple[str, ...]) -> None:
    for field in fields:
        if field in item and not isinstance(item[field], str):
            raise _wrong(f"{where}.{field}")


def _check_view(view: dict[str, Any]) -> None:
    _check_strings(view, "view", ("id", "callback_id", "private_metadata", "type", "hash"))
    state = view.get("state")
    if state is None:
        return
    values = state.get("values", {}) if isinstance(state, dict) else None
    if not isinstance(values, dict) or not all(
        isinstance(block, dict) and all(isinstance(element, dict) for element in block.values())
        for block in values.values()
    ):
        raise _wrong("view.state")


def _check_kind(payload: dict[str, Any]) -> None:
    """What Slack always sends with each kind of request, and listeners (or Bolt) rely on."""
    kind = payload.get("type")
    view = payload.get("view") or {}  # a dict by now, when there is one
    if kind == "event_callback":
        event = payload.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise Refused(400, "an event without its type")
        if not isinstance(payload.get("team_id"), str):
            raise Refused(400, "an event without team_id")
    elif kind in INTERACTIVE:
        user = payload.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise Refused(400, "an interaction without its user")
        if kind in ("view_submission", "view_closed") and not (
            isinstance(view.get("callback_id"), str) and isinstance(view.get("type"), str)
        ):
            raise Refused(400, f"{kind} without a view")  # Bolt reads a submission's view type
    if kind in ("block_actions", "interactive_message") and not payload.get("actions"):
        raise Refused(400, f"{kind} without actions")  # Bolt reads the first
    # Bolt reads `workflow_step` from these (the retired steps from apps), and fails without it.
    step = kind == "workflow_step_edit" or (
        kind == "view_submission" and view.get("type") == "workflow_step"
    )
    if step and not isinstance(payload.get("workflow_step"), dict):
        raise Refused(400, "a workflow step without workflow_step")
