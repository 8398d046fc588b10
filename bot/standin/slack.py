"""A local stand-in for the Slack Web API over real HTTP (pytest-httpserver), recording calls."""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bot.standin import blockkit

Handler = Callable[[dict[str, Any]], dict[str, Any]]


ALT_TEXT_LIMIT = 1000  # characters of a file's alt text (files.getUploadURLExternal)
TRIGGER_LIFETIME = 3.0  # seconds: a trigger_id opens one view, within three seconds
MESSAGES = ("chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage")
VIEWS = ("views.open", "views.push", "views.update", "views.publish")
BOT_USER = "UBOT"  # the app's bot user, as auth.test names it
_CHANNEL = re.compile(r"[CDG][A-Z0-9]+")
_counter = itertools.count(1)


def trigger_id() -> str:
    """A new trigger id shaped like Slack's (`<ms>.<n>.<hex>`), stamped with when it was made."""
    return f"{int(time.time() * 1000)}.{next(_counter)}.{secrets.token_hex(8)}"


def dm_channel(user_id: str) -> str:
    """The id of the app's DM with `user_id`, as this stand-in names it."""
    return "D" + user_id[1:]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    """Answers like Slack; `users` feeds users.list; `on[method]` overrides an answer.

    As strict as Slack: every message and view is checked against Block Kit's rules
    (bot/standin/blockkit.py), trigger ids open one view within three seconds, messages are
    updated by channel id, and an ephemeral message goes only where its user can see it.
    What Slack would refuse is refused with Slack's error and kept in `refusals`;
    `assert_accepted()` (the tests' `slack` fixture calls it) fails on any.
    """

    server: HTTPServer
    team_id: str = "T0001"
    users: list[dict[str, Any]] = field(default_factory=list)
    on: dict[str, Handler] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    page_size: int = 2
    channel_members: dict[str, set[str]] = field(default_factory=dict)  # the channels it knows
    private_channels: set[str] = field(default_factory=set)  # seen only by their members
    refusals: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._files: dict[str, str] = {}  # file id → name, for uploads
        self._alts: dict[str, str] = {}  # file id → its alt text
        self._lock = threading.Lock()
        self._exchanged: set[str] = set()  # trigger ids that have opened a view
        self.server.expect_request(re.compile(r"^/api/.+")).respond_with_handler(self._answer)
        self.server.expect_request(re.compile(r"^/response/.+")).respond_with_handler(self._respond)
        self.server.expect_request(re.compile(r"^/upload/.+")).respond_with_handler(self._upload)

    @property
    def url(self) -> str:
        return self.server.url_for("/api/")

    def of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def add_user(self, user_id: str, tz: str | None = "Europe/Berlin", **extra: Any) -> dict:
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": user_id.lower(),
            "real_name": extra.pop("real_name", f"Person {user_id}"),
            "deleted": False,
            "is_bot": False,
            "tz": tz,
            "profile": {"email": extra.pop("email", None)},
        }
        user.update(extra)
        self.users.append(user)
        return user

    @property
    def response_url(self) -> str:
        return self.server.url_for("/response").rstrip("/")

    def responses(self) -> list[dict[str, Any]]:
        """What listeners sent to response_url (ephemeral replies), in order."""
        return [call.params for call in self.calls if call.method == "response_url"]

    def assert_accepted(self) -> None:
        """Fail when anything sent to this stand-in was something Slack refuses."""
        assert not self.refusals, "Slack would refuse:\n" + "\n".join(self.refusals)

    def _respond(self, request: Request) -> Response:
        params = json.loads(request.get_data(as_text=True))
        problems = [] if params.get("delete_original") else blockkit.check_message(params)
        with self._lock:
            self.calls.append(Call("response_url", params, None))
            self._refuse("response_url", problems)
        if problems:
            return Response("invalid_blocks", status=400, content_type="text/plain")
        return Response("ok", content_type="text/plain")

    def uploads(self) -> dict[str, bytes]:
        """Files uploaded through files_upload_v2, by file name."""
        names = {c.params["file_id"]: c.params["filename"] for c in self.of("upload")}
        return {names[c.params["file_id"]]: c.params["content"] for c in self.of("upload")}

    def shared(self) -> list[dict[str, Any]]:
        """Each file shared into a conversation (files.completeUploadExternal that Slack took):
        its channel, file name, title, alt text, content and the message introducing it."""
        contents = {c.params["file_id"]: c.params["content"] for c in self.of("upload")}
        found = []
        for call in self.of("files.completeUploadExternal"):
            files = call.params.get("files") or "[]"
            for entry in json.loads(files) if isinstance(files, str) else files:
                if entry.get("id") not in contents:
                    continue  # refused: never shared
                found.append(
                    {
                        "channel": call.params.get("channel_id"),
                        "filename": self._files[entry["id"]],
                        "title": entry.get("title"),
                        "alt": self._alts[entry["id"]],
                        "content": contents[entry["id"]],
                        "comment": call.params.get("initial_comment"),
                    }
                )
        return found

    def _upload(self, request: Request) -> Response:
        file_id = request.path.rsplit("/", 1)[-1]
        filename = self._files.get(file_id, "")
        params = {"file_id": file_id, "filename": filename, "content": request.get_data()}
        failure = self.on["upload"](params) if "upload" in self.on else None
        if failure is not None:  # the file service failing, as a test asks it to
            return Response("upload failed", status=failure.get("_status", 500))
        with self._lock:
            self.calls.append(Call("upload", params, None))
        return Response(f"OK - {len(params['content'])}", content_type="text/plain")

    def _answer(self, request: Request) -> Response:
        method = request.path.removeprefix("/api/")
        params: dict[str, Any] = dict(parse_qsl(request.query_string.decode()))
        body = request.get_data(as_text=True)
        if request.mimetype == "application/json" and body:
            params.update(json.loads(body))
        elif body:
            params.update(dict(parse_qsl(body)))
        for key in ("blocks", "view", "attachments"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        auth = request.headers.get("Authorization", "")
        with self._lock:
            self.calls.append(Call(method, params, auth.removeprefix("Bearer ") or None))
            refused = self._check(method, params)
            if refused is not None:
                answer = refused
            elif method in self.on:
                answer = self.on[method](params)
            else:
                answer = self._default(method, params)
        status = answer.pop("_status", 200)
        headers = answer.pop("_headers", {})
        return Response(
            json.dumps(answer), status=status, headers=headers, content_type="application/json"
        )

    def _refuse(self, method: str, problems: list[str]) -> None:
        self.refusals.extend(f"{method}: {problem}" for problem in problems)

    def _check(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Slack's refusal of this call, or None when Slack would take it."""
        error, problems = "", []
        if method in MESSAGES:
            error, problems = "invalid_blocks", blockkit.check_message(params)
        elif method in VIEWS:
            error, problems = "invalid_arguments", blockkit.check_view(params.get("view"))
            if method == "views.publish" and (params.get("view") or {}).get("type") != "home":
                problems.append("views.publish takes a home view")
        if not problems and method in ("chat.update", "chat.delete"):
            channel = str(params.get("channel", ""))
            if not _CHANNEL.fullmatch(channel):
                error, problems = "channel_not_found", [f"{channel!r} is not a channel id"]
        if not problems and method == "chat.postEphemeral":
            user, channel = str(params.get("user", "")), str(params.get("channel", ""))
            if channel != dm_channel(user) and user not in self.channel_members.get(channel, ()):
                error, problems = "user_not_in_channel", [f"{user} cannot see {channel}"]
        if method == "files.getUploadURLExternal":
            error, problems = self._check_upload_url(params)
        if method == "files.completeUploadExternal":
            error, problems = self._check_complete(params)
        if not problems and method in ("views.open", "views.push"):
            error, problem = self._exchange(str(params.get("trigger_id", "")))
            problems = [problem] if problem else []
        if not problems:
            return None
        self._refuse(method, problems)
        if error == "invalid_arguments":
            return {"ok": False, "error": error, "response_metadata": {"messages": problems}}
        return {"ok": False, "error": error, "errors": problems}

    def _check_upload_url(self, params: dict[str, Any]) -> tuple[str, list[str]]:
        """files.getUploadURLExternal: a file name, a length above 0, alt text ≤ 1,000."""
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return "invalid_arguments", ["filename and length are required"]
        if int(params["length"]) == 0:
            return "missing_argument", ["length is 0"]
        if len(str(params.get("alt_txt") or "")) > ALT_TEXT_LIMIT:
            return "alt_txt_too_large", [f"alt_txt is over {ALT_TEXT_LIMIT} characters"]
        return "", []

    def _check_complete(self, params: dict[str, Any]) -> tuple[str, list[str]]:
        """files.completeUploadExternal: files this stand-in issued and received, shared into a
        conversation by its id (a user id is not one)."""
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        if not files:
            return "invalid_arguments", ["files is required"]
        uploaded = {c.params["file_id"] for c in self.calls if c.method == "upload"}
        for entry in files:
            if entry.get("id") not in self._files or entry.get("id") not in uploaded:
                return "file_not_found", [f"file {entry.get('id')} was not uploaded"]
        channel = params.get("channel_id")
        if channel is not None and not _CHANNEL.fullmatch(str(channel)):
            return "channel_not_found", [f"{channel!r} is not a channel id"]
        return "", []

    def _exchange(self, trigger: str) -> tuple[str, str]:
        """A trigger id opens one view, within three seconds of the click that made it."""
        made = trigger.split(".", 1)[0]
        if not made.isdigit():
            return "invalid_trigger_id", f"{trigger!r} is not a trigger id Slack gave"
        if trigger in self._exchanged:
            return "exchanged_trigger_id", f"trigger {trigger} already opened a view"
        age = time.time() - int(made) / 1000
        if age > TRIGGER_LIFETIME:
            return "expired_trigger_id", f"trigger {trigger} used after {age:.1f} s"
        self._exchanged.add(trigger)
        return "", ""

    def _members(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.members as Slack answers it: a channel the bot can't see (unknown, or
        private without the bot in it) is channel_not_found; pages follow `cursor`."""
        channel = str(params.get("channel", ""))
        members = self.channel_members.get(channel)
        if members is None or (channel in self.private_channels and BOT_USER not in members):
            return {"ok": False, "error": "channel_not_found"}
        cursor, limit = str(params.get("cursor") or "0"), int(params.get("limit") or 100)
        if not cursor.isdigit():
            return {"ok": False, "error": "invalid_cursor"}
        if not 0 < limit <= 1000:
            return {"ok": False, "error": "invalid_limit"}
        start, size = int(cursor), min(limit, self.page_size)
        page = sorted(members)[start : start + size]
        more = start + size < len(members)
        return {
            "ok": True,
            "members": page,
            "response_metadata": {"next_cursor": str(start + size) if more else ""},
        }

    def _default(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": self.team_id,
                "team": "Acme",
                "user_id": BOT_USER,
                "bot_id": "B0BOT",
                "url": "https://acme.slack.com/",
            }
        if method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            dm = dm_channel(channel) if channel.startswith("U") else channel
            return {
                "ok": True,
                "channel": dm,
                "ts": f"1700000000.{next(self._ts):06d}",
                "message": {"text": params.get("text", "")},
            }
        if method == "users.list":
            start = int(params.get("cursor") or 0)
            limit = min(int(params.get("limit") or self.page_size), self.page_size)
            page = self.users[start : start + limit]
            more = start + limit < len(self.users)
            return {
                "ok": True,
                "members": page,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            }
        if method == "users.lookupByEmail":
            for user in self.users:
                if user["profile"].get("email") == params.get("email"):
                    return {"ok": True, "user": user}
            return {"ok": False, "error": "users_not_found"}
        if method == "users.info":
            for user in self.users:
                if user["id"] == params.get("user"):
                    return {"ok": True, "user": user}
            return {"ok": False, "error": "user_not_found"}
        if method == "conversations.members":
            return self._members(params)
        if method == "conversations.open":
            user = str(params.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": dm_channel(user) if user else "D0"}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self._files) + 1:06d}"
            self._files[file_id] = str(params.get("filename", ""))
            self._alts[file_id] = str(params.get("alt_txt") or "")
            return {
                "ok": True,
                "file_id": file_id,
                "upload_url": self.server.url_for(f"/upload/{file_id}"),
            }
        if method == "files.completeUploadExternal":
            files = params.get("files") or "[]"
            files = json.loads(files) if isinstance(files, str) else files
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            return {"ok": True, "view": {"id": "V0001", **(params.get("view") or {})}}
        return {"ok": True}
