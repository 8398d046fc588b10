"""Logs: no token or secret at any level, no answer text at INFO and above, no concern or its
writer ever (DESIGN 4, with tests/concerns/test_concern_privacy.py), JSON lines, a request id on
each."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from bot import logs
from bot.checkin import rules as checkins
from bot.settings import Settings
from tests.concern_kit import ORG as CONCERN_ORG
from tests.concern_kit import PEOPLE as CONCERN_PEOPLE
from tests.concern_kit import raise_concern
from tests.concerns.test_concern_privacy import IDENTIFIERS, LOGGERS, SECRET_TEXT
from tests.conftest import seed_org
from tests.slackreq import SECRET, select_value, text_values
from tests.tenancy_kit import CLIENT_SECRET, KEY, ONE, TOKENS, install

ANSWER = "Shipped the secret pricing page nobody else should read"
ORG = {
    "timezone": "Europe/Berlin",
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1"]}],
}
PEOPLE = [{"user_id": "UMGR", "tz": "Europe/Berlin"}, {"user_id": "U1", "tz": "Europe/Berlin"}]
SECRETS = (SECRET, CLIENT_SECRET, KEY, *TOKENS.values(), "xoxb-test-token")


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Everything at DEBUG, as `LOG_FORMAT=json` writes it for a log shipper."""
    stream = io.StringIO()
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setattr(logs.sys, "stderr", stream)
    settings = Settings(
        bot_token="xoxb-test-token",
        signing_secret=SECRET,
        client_id="1111.2222",
        client_secret=CLIENT_SECRET,
        encryption_key=KEY,
        log_level="DEBUG",
        log_format="json",
    )
    logs.configure_logging(settings)
    for name in LOGGERS[1:]:
        monkeypatch.setattr(logging.getLogger(name), "level", logging.DEBUG)
    yield stream


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def check_in(requests, slack, engine, clock) -> None:
    seed_org(engine, ORG, PEOPLE, workspace_id=requests.team_id)
    with Session(engine) as session:
        checkins.replan(session, requests.team_id, ["U1"], clock())
        session.commit()
    clock.set("2026-11-27T15:00:00+00:00")
    requests.command("/checkin", user="U1")
    values = text_values(moved=ANSWER, learned=ANSWER, blocked=ANSWER)
    values.update(select_value("energy", "3"))
    requests.submit(slack.of("views.open")[-1].params["view"], values, user="U1")


def test_every_line_is_json_with_the_request_id_answered_to_the_caller(
    shipped, requests, slack, engine, clock
):
    check_in(requests, slack, engine, clock)
    records = lines(shipped)
    assert records and all(
        {"time", "level", "logger", "message", "request_id"} <= set(r) for r in records
    )
    served = [
        r
        for r in records
        if r["logger"] == "bot.web.server" and "POST /slack/events" in r["message"]
    ]
    ids = [r["request_id"] for r in served]
    assert len(ids) == 2 and len(set(ids)) == 2 and "-" not in ids
    during = [r for r in records if r["request_id"] == ids[1]]
    assert any(r["logger"].startswith("slack_") for r in during)  # the libraries' lines too


def test_no_token_or_secret_is_logged_at_any_level(
    shipped, tenants, slack, engine, clock, oauth_settings
):
    install(oauth_settings, engine, ONE)
    check_in(tenants[ONE], slack, engine, clock)
    tenants[ONE].command("/leadership", "export", user="U1")
    logging.getLogger("slack_sdk.web").debug("headers: Authorization: Bearer %s", TOKENS[ONE])
    written = shipped.getvalue()
    assert "auth.test" in written and slack.uploads()  # it did log the calls with the token
    for secret in SECRETS:
        assert secret not in written


def test_answer_text_never_reaches_info_or_above(shipped, requests, slack, engine, clock):
    check_in(requests, slack, engine, clock)
    records = lines(shipped)
    assert [r for r in records if r["level"] != "DEBUG"]
    assert all(ANSWER not in json.dumps(r) for r in records if r["level"] != "DEBUG")


def test_a_concern_and_its_writer_never_reach_the_json_lines(shipped, requests, slack, engine):
    seed_org(engine, CONCERN_ORG, CONCERN_PEOPLE)
    raise_concern(requests, slack, SECRET_TEXT)
    written = shipped.getvalue()
    assert written and SECRET_TEXT not in written
    for identifier in IDENTIFIERS:
        assert identifier not in written


def test_text_lines_name_the_request_too(monkeypatch):
    stream = io.StringIO()
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(logs.sys, "stderr", stream)
    logs.setup_logging("INFO")
    token = logs.REQUEST_ID.set("req-12345678")
    logging.getLogger("bot.test").info("hello")
    logs.REQUEST_ID.reset(token)
    logging.getLogger("bot.test").info("outside")
    assert "[req-12345678]: hello" in stream.getvalue() and "[-]: outside" in stream.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "calling with xoxb-1234-5678-abcdefabcdef",
        "app token xapp-1-A111-222-abcdef in a message",
        "refresh xoxe.xoxp-1-abcdefghijkl",
    ],
)
def test_token_shaped_strings_are_cut_wherever_they_appear(text):
    record = logging.LogRecord("anything", logging.ERROR, __file__, 1, text, None, None)
    assert logs.RedactSecrets().filter(record)
    assert "[secret redacted]" in record.getMessage() and "abcdef" not in record.getMessage()


def test_a_traceback_holding_a_secret_is_cut_too():
    try:
        raise RuntimeError(f"boom with {SECRET}")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
        record.exc_info = sys.exc_info()
    logs.RedactSecrets([SECRET]).filter(record)
    assert SECRET not in logs.JsonFormatter().format(record)
    assert "boom with [secret redacted]" in logs.JsonFormatter().format(record)


def test_settings_never_show_their_secrets():
    settings = Settings(bot_token="xoxb-9", signing_secret="sig-secret-1", client_secret="cs-2")
    assert "xoxb-9" not in repr(settings) and "sig-secret-1" not in repr(settings)
    assert "cs-2" not in repr(settings)


def test_no_line_at_any_level_ties_a_concern_submission_to_a_time(shipped, requests, slack, engine):
    """Bolt's "Running listener: submit_concern" would stamp it to the millisecond."""
    import handlers.concern

    seed_org(engine, CONCERN_ORG, CONCERN_PEOPLE)
    raise_concern(requests, slack, SECRET_TEXT)
    written = shipped.getvalue()
    assert "Responding with status" in written  # Bolt's debug lines are there, but not these
    writers = [
        name
        for name, value in vars(handlers.concern).items()
        if callable(value)
        and getattr(value, "__module__", "") == "handlers.concern"
        and not name.startswith("_")
    ]
    assert "submit_concern" in writers
    for name in writers:
        assert name not in written, name
    bolt = [r["message"] for r in lines(shipped) if r["logger"].startswith("slack_bolt")]
    assert bolt and not any("listener" in message.lower() for message in bolt)
