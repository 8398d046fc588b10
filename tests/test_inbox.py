"""The web/worker split: a web-only process acknowledges a check-in and hands the answer on
through the inbox; a worker stores it. Handing on is exactly once, and nothing is lost."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

import bot.cli
from bot import inbox
from bot.app import create_app
from bot.standin.requests import SlackRequests
from bot.standin.serve import InlineExecutor, LoopbackServer
from handlers import inbox_handlers
from storage.models import Checkin, Inbox, Membership
from tests.conftest import TEAM
from tests.test_checkin_flow import answer_values, plant

SUBMITTED = "2026-11-27T15:00:00+00:00"  # Friday, the week open in Berlin


@pytest.fixture
def org(engine, clock):
    plant(engine, clock)


@pytest.fixture
def web(deps, slack):
    """Signed requests to a process that only serves Slack (`python -m bot web`)."""
    app = create_app(dataclasses.replace(deps, web_only=True), listener_executor=InlineExecutor())
    server = LoopbackServer(app)
    yield SlackRequests(server.url, team_id=TEAM, response_url=slack.response_url)
    server.stop()


def drain(engine, app, clock, handlers=None) -> int:
    return inbox.drain(engine, handlers or inbox_handlers(), lambda _w: app.client, clock)


def waiting(engine) -> list[Inbox]:
    with Session(engine) as session:
        return list(session.exec(select(Inbox)))


def stored(engine) -> list[Checkin]:
    with Session(engine) as session:
        return list(session.exec(select(Checkin)))


def submit(web, slack, clock, user="U1", **answers):
    clock.set(SUBMITTED)
    web.action("checkin_open", "2026-W48", user=user)
    view = slack.of("views.open")[-1].params["view"]
    return web.submit(view, answer_values(**answers), user=user)


def test_a_web_only_process_acknowledges_and_the_worker_stores_the_answer_as_of_its_arrival(
    org, engine, clock, sender, slack, web, app
):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()  # the nudge, whose DM becomes "Checked in" once the answer is stored
    reply = submit(web, slack, clock)
    assert reply.status == 200 and reply.body == ""  # the modal closes
    assert stored(engine) == [] and slack.of("chat.update") == []
    [row] = waiting(engine)
    assert (row.workspace_id, row.user_id, row.kind) == (TEAM, "U1", "checkin")
    assert row.received_at == clock() and row.body["period"] == "2026-W48"

    clock.set("2026-11-30T09:30:00+00:00")  # the worker is late: the week has closed since
    assert drain(engine, app, clock) == 1
    [answer] = stored(engine)
    assert answer.status == "answered" and not answer.late  # it arrived while the week was open
    assert answer.moved == "Shipped the <!channel> importer" and answer.energy == 4
    assert answer.objective_key == "eu-launch" and answer.helped_users == ["U2"]
    assert answer.created_at.isoformat() == SUBMITTED
    assert "Checked in ✓" in slack.of("chat.update")[0].params["blocks"][0]["text"]["text"]
    assert waiting(engine) == [] and drain(engine, app, clock) == 0


def test_a_process_that_serves_and_works_stores_the_answer_before_the_request_ends(
    org, engine, clock, slack, requests
):
    submit(requests, slack, clock)
    assert [row.user_id for row in stored(engine)] == ["U1"]
    assert waiting(engine) == []


def test_a_row_is_handled_once_however_many_try(org, engine, clock, slack, web, app):
    submit(web, slack, clock)
    [row] = waiting(engine)
    assert row.id is not None
    handlers = inbox_handlers()
    assert inbox.handle(engine, row.id, handlers, app.client, clock()) is True
    assert inbox.handle(engine, row.id, handlers, app.client, clock()) is False
    assert drain(engine, app, clock) == 0
    assert len(stored(engine)) == 1


def test_a_failing_handler_leaves_the_row_to_be_tried_again_and_then_kept(
    org, engine, clock, slack, web, app, caplog
):
    submit(web, slack, clock)

    def broken(*_args) -> None:
        raise RuntimeError("the database went away")

    handlers = {"checkin": broken}
    assert drain(engine, app, clock, handlers) == 0
    [row] = waiting(engine)
    assert row.attempts == 1 and row.taken_until == clock() + inbox.TAKE
    clock.now += inbox.TAKE - timedelta(seconds=1)
    assert drain(engine, app, clock, handlers) == 0
    assert waiting(engine)[0].attempts == 1  # still taken by the failed attempt: not yet
    for _ in range(inbox.GIVE_UP):
        clock.now += inbox.TAKE
        drain(engine, app, clock, handlers)
    [row] = waiting(engine)
    assert row.attempts == inbox.GIVE_UP  # kept, no longer tried, and logged as an error
    assert any(r.levelname == "ERROR" and "inbox row" in r.getMessage() for r in caplog.records)

    clock.now += inbox.TAKE
    assert drain(engine, app, clock) == 0 and stored(engine) == []  # given up: left for a person


def test_an_answer_that_can_no_longer_be_stored_is_given_back_by_dm(
    org, engine, clock, slack, web, app
):
    submit(web, slack, clock, moved="Shipped <b>it</b> & more")
    with engine.begin() as connection:  # an admin moved Ana out of every team meanwhile
        connection.execute(sa.delete(Membership).where(Membership.user_id == "U1"))
    assert drain(engine, app, clock) == 1
    assert stored(engine) == []
    [dm] = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "U1"]
    assert "couldn't save your check-in for 2026-W48" in dm.params["text"]
    assert "not in any team" in dm.params["text"]
    assert "Shipped &lt;b&gt;it&lt;/b&gt; &amp; more" in dm.params["text"]  # their words, escaped
    assert "Good" in dm.params["text"]  # the energy they picked, in words


def test_when_the_answer_cannot_be_handed_on_the_person_is_told_and_gets_it_back(
    org, engine, clock, slack, web, monkeypatch
):
    def down(*_args, **_kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(inbox, "put", down)
    reply = submit(web, slack, clock)
    assert reply.status == 200
    [dm] = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "U1"]
    assert "please check in again" in dm.params["text"]
    assert "Shipped the &lt;!channel&gt; importer" in dm.params["text"]
    assert stored(engine) == [] and waiting(engine) == []


def test_web_serves_without_the_scheduler_and_worker_works_without_serving(
    monkeypatch, database_url
):
    calls = []
    monkeypatch.setattr(bot.cli, "run", lambda deps, **kw: calls.append((deps.web_only, kw)) or 0)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    for command in ("web", "worker", "run"):
        assert bot.cli.main([command]) == 0
    assert calls == [
        (True, {"serve": True, "work": False}),
        (False, {"serve": False, "work": True}),
        (False, {"serve": True, "work": True}),
    ]


def fail_once(slack, method: str) -> None:
    def fail(_params):
        del slack.on[method]  # the next call gets Slack's normal answer
        return {"ok": False, "error": "internal_error", "_status": 500}

    slack.on[method] = fail


def test_a_late_answer_retried_after_it_was_stored_is_not_given_back(
    org, engine, clock, sender, slack, web, app
):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    clock.set("2026-11-30T10:00:00+00:00")  # Monday 11:00 Berlin: closed, still open late
    web.action("checkin_open", "2026-W48", user="U1")
    web.submit(slack.of("views.open")[-1].params["view"], answer_values(), user="U1")
    fail_once(slack, "chat.update")  # stored, then the DM update fails: the row is retried
    assert drain(engine, app, clock) == 0
    clock.now += inbox.TAKE
    assert drain(engine, app, clock) == 1
    [answer] = stored(engine)
    assert answer.late and answer.moved == "Shipped the <!channel> importer"
    assert [c for c in slack.of("chat.postMessage") if c.params["channel"] == "U1"][1:] == []
    assert "Checked in" in json.dumps(slack.of("chat.update")[-1].params["blocks"])


def test_an_older_answer_retried_after_a_newer_edit_leaves_the_edit(
    org, engine, clock, sender, slack, web, app
):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    submit(web, slack, clock, moved="First words")
    fail_once(slack, "chat.update")
    assert drain(engine, app, clock) == 0  # stored, but its row waits to be retried
    clock.now += timedelta(seconds=30)  # an edit, while the first row is still taken
    web.action("checkin_edit", "2026-W48", user="U1")
    web.submit(slack.of("views.open")[-1].params["view"], answer_values(moved="Edited"), user="U1")
    assert drain(engine, app, clock) == 1  # the edit; the first row is still taken
    clock.now += inbox.TAKE
    assert drain(engine, app, clock) == 1  # the first row again
    [answer] = stored(engine)
    assert answer.moved == "Edited" and waiting(engine) == []
