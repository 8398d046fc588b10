"""Nothing links a writer to their concern: not a table, not a log line, not Slack's history."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

import prompts
from bot import logs
from bot.concerns import rules as concerns
from bot.concerns import throttle
from bot.concerns.answer_views import concern_blocks
from bot.concerns.views import said, said_sections
from storage.models import Concern
from tests.concern_kit import (
    CHANNEL,
    ORG,
    PEOPLE,
    WRITER,
    WRITER_NAME,
    WRITER_REAL,
    WRITER_TRIGGERS,
    compose_values,
    open_compose,
    raise_concern,
    submit,
)
from tests.conftest import TEAM, seed_org

SECRET_TEXT = "The quarterly targets are hiding a hiring freeze nobody admits to"
FOLLOW_UP = "Three more people left since, quietly"
FAILED = prompts.text("failure.modal")
IDENTIFIERS = (WRITER, WRITER_NAME, WRITER_REAL, CHANNEL)
LOGGERS = ("", "slack_bolt", "slack_sdk", "sqlalchemy", "sqlalchemy.engine", "werkzeug")


@pytest.fixture
def org(engine):
    seed_org(engine, ORG, PEOPLE)


@pytest.fixture
def logged(caplog):
    """Every record at DEBUG, through the same redaction setup_logging installs."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    logs.redact(caplog.handler)
    return caplog


def dump(engine) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table, every column."""
    tables: dict[str, set[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for name in sa.inspect(connection).get_table_names():
            rows = connection.execute(sa.text(f'SELECT * FROM "{name}"')).all()
            tables[name] = {tuple(frozen(value) for value in row) for row in rows}
    return tables


def frozen(value: Any) -> Any:
    """A hashable stand-in for a JSON value (PostgreSQL returns JSON columns as dicts)."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def added(before: dict, after: dict) -> list[tuple[str, tuple]]:
    """The rows the requests wrote (new or changed), by table."""
    return [(name, row) for name, rows in after.items() for row in rows - before.get(name, set())]


def everything_logged(caplog) -> str:
    lines = [caplog.text]
    for record in caplog.records:
        lines += [record.getMessage(), repr(record.args), str(record.exc_info or "")]
    return "\n".join(lines)


def assert_no_link(rows: list[tuple[str, tuple]], logged_text: str, *, text_logged: bool = True):
    stored = json.dumps(rows, default=str)
    for identifier in (*IDENTIFIERS, *WRITER_TRIGGERS):
        assert identifier not in stored
        assert identifier not in logged_text
    assert SECRET_TEXT not in logged_text and FOLLOW_UP not in logged_text


def test_after_concerns_and_follow_ups_nothing_stored_or_logged_names_the_writer(
    org, requests, slack, engine, logged, monkeypatch
):
    key = bytes(range(32))  # the daily key, made recognisable
    monkeypatch.setattr(throttle, "secrets", SimpleNamespace(token_bytes=lambda n: key[:n]))
    person = f"{TEAM}:{WRITER}:2026-11-27".encode()
    token = hmac.new(key, person, hashlib.sha256).digest()
    before = dump(engine)
    # A review step first (it names a date), then the send, a status check and a follow-up.
    code = raise_concern(requests, slack, f"{SECRET_TEXT}, since 3 March", helps="Say it openly")
    raise_concern(requests, slack, SECRET_TEXT, audience="leadership")
    requests.command("/concern", f"status {code}", user=WRITER)
    thread = slack.of("views.open")[-1].params["view"]
    values = {"followup": {"value": {"type": "plain_text_input", "value": FOLLOW_UP}}}
    submit(requests, thread, values)
    after = dump(engine)

    rows = added(before, after)
    assert {name for name, _ in rows} == {"concern", "concernnote"}
    assert_no_link(rows, everything_logged(logged))
    for secret in (key.hex(), token.hex(), repr(key), repr(token)):
        assert secret not in json.dumps(rows, default=repr) and secret not in logged.text
    assert any("[payload redacted]" in r.getMessage() for r in logged.records)  # it did log


def test_stored_times_are_days_not_instants(org, requests, slack, engine):
    code = raise_concern(requests, slack)
    requests.command("/concern", f"status {code}", user=WRITER)
    thread = slack.of("views.open")[-1].params["view"]
    submit(requests, thread, {"followup": {"value": {"type": "plain_text_input", "value": "x"}}})
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for table in ("concern", "concernnote"):
            for column in inspector.get_columns(table):
                assert not isinstance(column["type"], sa.DateTime), (table, column["name"])
    with Session(engine) as session:
        concern = session.exec(sa.select(Concern)).scalars().one()
        note = concerns.notes(session, concern)[0]
    for value in (concern.created_on, note.created_on):
        assert type(value) is date and not isinstance(value, datetime)


def test_a_storage_error_during_submit_is_told_inside_the_modal_and_leaks_nothing(
    org, requests, slack, engine, logged, monkeypatch
):
    def broken_commit(self: Session) -> None:
        # What the driver would report: the statement and its parameters, text included.
        raise OperationalError("INSERT INTO concern", {"text": SECRET_TEXT}, Exception("disk"))

    before = dump(engine)
    monkeypatch.setattr(Session, "commit", broken_commit)
    answer = submit(requests, open_compose(requests, slack), compose_values(SECRET_TEXT))
    monkeypatch.undo()

    assert answer == {"response_action": "errors", "errors": {"text": FAILED}}  # words kept
    assert dump(engine) == before
    assert_no_link([], everything_logged(logged))
    assert "OperationalError" in logged.text
    assert slack.of("chat.postMessage") == [] and slack.responses() == []


def test_an_unexpected_failure_is_logged_without_the_request_body(
    org, requests, slack, engine, logged, monkeypatch
):
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(concerns, "submit", broken)
    submit_reply = requests.submit(
        open_compose(requests, slack), compose_values(SECRET_TEXT), user=WRITER
    )
    assert submit_reply.status == 200  # not Slack's "trouble connecting": the modal says it
    assert submit_reply.json() == {"response_action": "errors", "errors": {"text": FAILED}}
    assert "listener (unnamed) failed on a view_submission: RuntimeError" in logged.text
    assert_no_link([], everything_logged(logged))


def test_setup_logging_installs_the_redaction_on_its_handler(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    stream = io.StringIO()
    monkeypatch.setattr(logs.sys, "stderr", stream)
    logs.setup_logging("DEBUG")
    # SQLAlchemy keeps its own loggers at WARNING unless asked; someone may ask.
    monkeypatch.setattr(logging.getLogger("sqlalchemy"), "level", logging.DEBUG)
    body = json.dumps({"user": {"id": WRITER}, "view": {"blocks": [SECRET_TEXT]}})
    logging.getLogger("slack_sdk.web.base_client").debug(
        f"Sending a request - url: https://slack.com/api/views.open, json_body: {body}"
    )
    logging.getLogger("slack_bolt.App").debug(
        f'Responding with status: 200 body: "{body}" (3 millis)'
    )
    logging.getLogger("sqlalchemy.engine.Engine").debug("Row %r", (1, WRITER, SECRET_TEXT))
    written = stream.getvalue()
    assert written.count("[payload redacted]") == 3
    assert WRITER not in written and SECRET_TEXT not in written
    assert "Sending a request - url: https://slack.com/api/views.open," in written


@pytest.mark.parametrize(
    "message",
    [
        "Unhandled request ({'type': 'view_submission', 'view': {'state': 'SECRET'}})",
        "on_message invoked: (message: SECRET)",
        "Sending a text data frame (session id: 1, payload: SECRET)",
        "Invalid request signature detected (signature: x, timestamp: 1, body: SECRET)",
        "Received the following response - status: 200, headers: {}, body: SECRET",
        "Skipped self event: {'text': 'SECRET'}",
    ],
)
def test_the_slack_libraries_payloads_are_redacted_at_every_level(message):
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
        record = logging.LogRecord("slack_bolt.App", level, __file__, 1, message, None, None)
        assert logs.RedactPayloads().filter(record)
        assert "SECRET" not in record.getMessage()
        assert record.getMessage().endswith("[payload redacted]") and record.args == ()


ESCAPED = [
    ("<!channel> now", "&lt;!channel&gt; now"),
    ("ask <@U123>", "ask &lt;@U123&gt;"),
    ("see <http://x|y>", "see &lt;http://x|y&gt;"),
    ("pay & play", "pay &amp; play"),
    ("read https://evil.example/path", "read https://evil.example/path"),
    ("in #general", "in #general"),
    ("hey @here", "hey @here"),
]


@pytest.mark.parametrize(("text", "shown"), ESCAPED)
def test_concern_text_is_escaped_and_verbatim_everywhere_it_is_shown(text, shown):
    concern = Concern(
        id=7,
        workspace_id="T0001",
        topic="culture",
        text=text,
        helps=text,
        audience_kind="team",
        audience_team="platform",
        code_hash="0" * 64,
        created_on=date(2026, 11, 27),
    )
    assert said(text) == shown
    texts = [block["text"] for block in concern_blocks(concern) if block["type"] == "section"]
    assert texts[0] == {"type": "mrkdwn", "text": shown, "verbatim": True}
    assert all(t["verbatim"] is True and "<" not in t["text"] for t in texts)


def test_a_long_concern_is_shown_in_full_within_slacks_limits():
    text = ("Fair & square " * 250)[:3000]
    sections = said_sections(text)
    shown = " ".join(block["text"]["text"] for block in sections)
    assert len(sections) == 2 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert shown.replace("&amp;", "&").split() == text.split()
    unbroken = said_sections("&" * 3000)
    assert all(b["text"]["text"].replace("&amp;", "") == "" for b in unbroken)


@given(st.text(alphabet="a &<>;", max_size=400), st.integers(min_value=2, max_value=120))
def test_cut_escaped_text_stays_within_its_limit_and_never_splits_an_escape(text, limit):
    shown = said(text, limit)
    assert len(shown) <= limit
    body = shown.removesuffix("…")
    for at in [i for i, char in enumerate(body) if char == "&"]:
        assert body[at:].startswith(("&amp;", "&lt;", "&gt;")), (text, limit, shown)
