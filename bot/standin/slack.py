"""A local stand-in for the Slack Web API over real HTTP (pytest-httpserver), recording calls."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    """Answers like Slack; `users` feeds users.list; `on[method]` overrides an answer."""

    server: HTTPServer
    team_id: str = "T0001"
    users: list[dict[str, Any]] = field(default_factory=list)
    on: dict[str, Handler] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    page_size: int = 2

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._files: dict[str, str] = {}  # file id → name, for uploads
        self._lock = threading.Lock()
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

    def _respond(self, request: Request) -> Response:
        with self._lock:
            self.calls.append(
                Call("response_url", json.loads(request.get_data(as_text=True)), None)
            )
        return Response("ok", content_type="text/plain")

    def uploads(self) -> dict[str, bytes]:
        """Files uploaded through files_upload_v2, by file name."""
        names = {c.params["file_id"]: c.params["filename"] for c in self.of("upload")}
        return {names[c.params["file_id"]]: c.params["content"] for c in self.of("upload")}

    def _upload(self, request: Request) -> Response:
        file_id = request.path.rsplit("/", 1)[-1]
        filename = self._files.get(file_id, "")
        params = {"file_id": file_id, "filename": filename, "content": request.get_data()}
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
            answer = self.on[method](params) if method in self.on else self._default(method, params)
        status = answer.pop("_status", 200)
        headers = answer.pop("_headers", {})
        return Response(
            json.dumps(answer), status=status, headers=headers, content_type="application/json"
        )

    def _default(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": self.team_id,
                "team": "Acme",
                "user_id": "UBOT",
                "bot_id": "B0BOT",
                "url": "https://acme.slack.com/",
            }
        if method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            dm = "D" + channel[1:] if channel.startswith("U") else channel
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
        if method == "conversations.open":
            user = str(params.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": "D" + user[1:] if user else "D0"}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self._files) + 1:06d}"
            self._files[file_id] = str(params.get("filename", ""))
            return {
                "ok": True,
                "file_id": file_id,
                "upload_url": self.server.url_for(f"/upload/{file_id}"),
            }
        if method == "files.completeUploadExternal":
            files = json.loads(params.get("files") or "[]")
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            return {"ok": True, "view": {"id": "V0001", **(params.get("view") or {})}}
        return {"ok": True}
