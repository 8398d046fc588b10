"""Logging to standard error; stdout stays for the CLI's own output.

Concern text and its writer are never logged at any level (DESIGN 4). Our own code never
logs them; `RedactPayloads` makes sure the libraries don't either: the Slack libraries'
debug logs carry whole request and response bodies (a view holding a concern, a slash
command with its user), and SQLAlchemy's debug logs carry result rows. Tokens and secrets
are never logged either (`RedactSecrets`), and every line names the request it belongs to
(`request_id`, set per incoming request by bot/web/server.py). `LOG_FORMAT=json` writes one
JSON object a line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar, copy_context
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from bot.settings import Settings

T = TypeVar("T")

SLACK_LOGGERS = ("slack_bolt", "slack_sdk", "slack")
REDACTED = "[payload redacted]"
SECRET = "[secret redacted]"
# Slack tokens of every kind (bot, user, app-level, refresh, configuration).
_TOKEN = re.compile(r"\b(?:xox[a-z]|xapp|xoxe\.xox[a-z])-[A-Za-z0-9-]{6,}")
# Where a payload starts in a Slack library's message: a named body, payload, params,
# headers, message or event, or any dict or list written out.
_PAYLOAD = re.compile(
    r"[\w-]*(?:body|payload|params|headers|message|event)\s*[:=(]|[{\[]", re.IGNORECASE
)


# Bolt's per-listener debug lines: checking, running (lazy too) and returning from one.
_LISTENER = re.compile(r"\blisteners?\b", re.IGNORECASE)


def _from(record: logging.LogRecord, names: tuple[str, ...]) -> bool:
    return any(record.name == name or record.name.startswith(name + ".") for name in names)


class RedactPayloads(logging.Filter):
    """Cut payloads out of the Slack libraries' records and rows out of SQLAlchemy's, and drop
    Bolt's debug lines that name a listener: "Running listener: submit_concern" would stamp a
    concern's submission to the millisecond (DESIGN 4)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _from(record, SLACK_LOGGERS):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # arguments that don't fit: keep none of them
                message = "{"
            if record.levelno <= logging.DEBUG and _LISTENER.search(message):
                return False
            start = _PAYLOAD.search(message)
            if start is not None:
                record.msg = f"{message[: start.start()].rstrip()} {REDACTED}".lstrip()
                record.args = ()
        elif _from(record, ("sqlalchemy",)) and str(record.msg).startswith("Row"):
            record.msg, record.args = f"Row {REDACTED}", ()
        return True


class RedactSecrets(logging.Filter):
    """Cut tokens and secrets out of every record at every level, tracebacks included.

    Nothing of ours logs them; this catches a library or an exception message that would.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, SECRET)
        return _TOKEN.sub(SECRET, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        clean = self.scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")


class WithRequestId(logging.Filter):
    """Put the id of the request being handled (or "-") on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def redact(handler: logging.Handler, secrets: Iterable[str | None] = ()) -> logging.Handler:
    """Give `handler` the payload and secret filters and the request id (once each)."""
    for kind, made in (
        (RedactPayloads, RedactPayloads),
        (RedactSecrets, lambda: RedactSecrets(secrets)),
        (WithRequestId, WithRequestId),
    ):
        if not any(isinstance(f, kind) for f in handler.filters):
            handler.addFilter(made())
    return handler


def setup_logging(level: str, log_format: str = "text", secrets: Iterable[str | None] = ()) -> None:
    """Log to standard error at `level` as text or JSON, with payloads and secrets redacted."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [redact(handler, secrets)]
    root.setLevel(level)
    # APScheduler logs two lines per job run; the inbox job runs every second. Failures are
    # logged by the jobs themselves (bot/outbox/jobs.py `safe`), so below DEBUG the runs stay quiet.
    quiet = logging.DEBUG if logging.getLevelName(level) == logging.DEBUG else logging.WARNING
    logging.getLogger("apscheduler.executors.default").setLevel(quiet)


def configure_logging(settings: Settings) -> None:
    """setup_logging from the settings, every secret among them redacted by value too."""
    secrets = (
        settings.bot_token,
        settings.signing_secret,
        settings.app_token,
        settings.client_secret,
        settings.encryption_key,
    )
    setup_logging(settings.log_level, settings.log_format, secrets)


LISTENER_THREADS = 10  # Bolt's own pool has 5; a listener holds one through its Slack calls


class ContextExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, running each listener in a copy of the caller's context, so what
    a listener logs after `ack()` still carries its request's id."""

    def __init__(self, max_workers: int = LISTENER_THREADS) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="listener")

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return super().submit(copy_context().run, fn, *args, **kwargs)
