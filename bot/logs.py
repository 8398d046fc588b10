"""Logging to standard error; stdout stays for the CLI's own output.

Concern text and its writer are never logged at any level (DESIGN 4). Our own code never
logs them; `RedactPayloads` makes sure the libraries don't either: the Slack libraries'
debug logs carry whole request and response bodies (a view holding a concern, a slash
command with its user), and SQLAlchemy's debug logs carry result rows.
"""

from __future__ import annotations

import logging
import re
import sys

SLACK_LOGGERS = ("slack_bolt", "slack_sdk", "slack")
REDACTED = "[payload redacted]"
# Where a payload starts in a Slack library's message: a named body, payload, params,
# headers, message or event, or any dict or list written out.
_PAYLOAD = re.compile(
    r"[\w-]*(?:body|payload|params|headers|message|event)\s*[:=(]|[{\[]", re.IGNORECASE
)


def _from(record: logging.LogRecord, names: tuple[str, ...]) -> bool:
    return any(record.name == name or record.name.startswith(name + ".") for name in names)


class RedactPayloads(logging.Filter):
    """Cut payloads out of the Slack libraries' records and rows out of SQLAlchemy's."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _from(record, SLACK_LOGGERS):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # arguments that don't fit: keep none of them
                message = "{"
            start = _PAYLOAD.search(message)
            if start is not None:
                record.msg = f"{message[: start.start()].rstrip()} {REDACTED}".lstrip()
                record.args = ()
        elif _from(record, ("sqlalchemy",)) and str(record.msg).startswith("Row"):
            record.msg, record.args = f"Row {REDACTED}", ()
        return True


def redact(handler: logging.Handler) -> logging.Handler:
    """Give `handler` the payload filter (once; setup_logging does it for its own handler)."""
    if not any(isinstance(f, RedactPayloads) for f in handler.filters):
        handler.addFilter(RedactPayloads())
    return handler


def setup_logging(level: str) -> None:
    """Log to standard error at `level`, with payloads redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [redact(handler)]
    root.setLevel(level)
