"""The web/worker split: a web-only process acknowledges a check-in and hands the answer on
through the inbox; a worker stores it. Handing on is exactly once, and nothing is lost."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import Session, select

import bot.app
import bot.cli
from bot.app import create_app
from bot.runtime import inbox
from bot.runtime.deps import utcnow
from bot.standin.requests import SlackRequests
from bot.standin.serve import InlineExecutor, LoopbackServer
from handlers import inbox_handlers
from storage.engine import make_engine
from storage.models import Checkin, Inbox, Membership
from tests.checkin.test_checkin_flow import answer_values, plant
from tests.conftest import TEAM

SUBMITTED = "2026-11-27T15:00:00+00:00"  # Friday, the week open in Berlin


@pytest.fixture
def org(engine, clock):
    plant(engine, clock)


@pytest.fixture
def handoff(engine):
    handoff = inbox.Handoff(engine)
    yield handoff
    handoff.close()


@pytest.fixture
def web(deps, slack, handoff):
    """Signed requests to a process that only serves Slack (`python -m bot web`)."""
    app = create_app(dataclasses.replace(deps, handoff=handoff), listener_executor=InlineExecutor())
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


def submit(web, slack, clock, user="U1", handoff=None, **answers):
    """Open the check-in and submit it; through `handoff`, wait until it has been handed on."""
    clock.set(SUBMITTED)
    web.action("checkin_open", "2026-W48", user=user)
    view = slack.of("views.open")[-1].params["view"]
    reply = web.submit(view, answer_values(**answers), user=user)
    if handoff is not None:
        assert handoff.flush(10)
    return reply


def test_a_web_only_process_acknowledges_and_the_worker_stores_the_answer_as_of_its_arrival(
    org, engine, clock, sender, slack, web, handoff, app
):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()  # the nudge, whose DM becomes "Checked in" once the answer is stored
    reply = submit(web, slack, clock, handoff=handoff)
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


def test_a_row_is_handled_once_however_many_try(org, engine, clock, slack, web, handoff, app):
    submit(web, slack, clock, handoff=handoff)
    [row] = waiting(engine)
    assert row.id is not None
    handlers = inbox_handlers()
    assert inbox.handle(engine, row.id, handlers, app.client, clock()) is True
    assert inbox.handle(engine, row.id, handlers, app.client, clock()) is False
    assert drain(engine, app, clock) == 0
    assert len(stored(engine)) == 1


def test_a_failing_handler_leaves_the_row_to_be_tried_again_and_then_kept(
    org, engine, clock, slack, web, handoff, app, caplog
):
    submit(web, slack, clock, handoff=handoff)

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
    org, engine, clock, slack, web, handoff, app
):
    submit(web, slack, clock, handoff=handoff, moved="Shipped <b>it</b> & more")
    with engine.begin() as connection:  # an admin moved Ana out of every team meanwhile
        connection.execute(sa.delete(Membership).where(Membership.user_id == "U1"))
    assert drain(engine, app, clock) == 1
    assert stored(engine) == []
    [dm] = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "U1"]
    assert "couldn't save your check-in for 2026-W48" in dm.params["text"]
    assert "not in any team" in dm.params["text"]
    assert "Shipped &lt;b&gt;it&lt;/b&gt; &amp; more" in dm.params["text"]  # their words, escaped
    assert "Good" in dm.params["text"]  # the energy they picked, in words


def given_back(slack) -> str:
    [dm] = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "U1"]
    return dm.params["text"]


def test_when_the_answer_cannot_be_handed_on_the_person_is_told_and_gets_it_back(
    org, engine, clock, slack, deps, tmp_path, caplog
):
    nowhere = make_engine(f"sqlite:///{tmp_path / 'missing' / 'leadbot.db'}")  # cannot open
    handoff = inbox.Handoff(nowhere)
    app = create_app(dataclasses.replace(deps, handoff=handoff), listener_executor=InlineExecutor())
    server = LoopbackServer(app)
    web = SlackRequests(server.url, team_id=TEAM, response_url=slack.response_url)
    try:
        reply = submit(web, slack, clock, handoff=handoff)
    finally:
        server.stop()
        handoff.close()
    assert reply.status == 200  # the modal closed before the write was tried
    assert "please check in again" in given_back(slack)
    assert "Shipped the &lt;!channel&gt; importer" in given_back(slack)
    assert stored(engine) == [] and waiting(engine) == []
    assert any("could not hand" in r.getMessage() for r in caplog.records)


def test_in_one_process_too_an_answer_not_handed_on_is_given_back(
    org, engine, clock, slack, requests, monkeypatch
):
    def down(*_args, **_kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(inbox, "put", down)
    assert submit(requests, slack, clock).status == 200
    assert "please check in again" in given_back(slack)
    assert stored(engine) == [] and waiting(engine) == []


def held(engine):
    """Hold the engine's first statement until the returned event is set; an event set
    once it is held, and a list of the engine's commits."""
    release, holding, commits = threading.Event(), threading.Event(), []

    def hold(*_args) -> None:
        holding.set()
        assert release.wait(10)

    sa.event.listen(engine, "before_cursor_execute", hold, once=True)
    sa.event.listen(engine, "commit", lambda _conn: commits.append(1))
    return release, holding, commits


def hand_on(handoff, user: str, lost=lambda: None, **body) -> None:
    handoff.put(workspace_id=TEAM, user_id=user, kind="checkin", body=body, now=utcnow(), lost=lost)


def test_the_handoff_writes_what_waits_in_groups_and_nothing_twice(database_url, engine):
    writer = make_engine(database_url)
    release, holding, commits = held(writer)
    handoff = inbox.Handoff(writer)
    hand_on(handoff, "U0")
    assert holding.wait(10)  # the first row is being written: the others wait behind it
    for number in range(1, 150):
        hand_on(handoff, f"U{number}")
    release.set()
    assert handoff.flush(10)
    assert sorted(int(row.user_id[1:]) for row in waiting(engine)) == list(range(150))
    assert len(commits) == 3  # the first row, then two groups of at most inbox.BATCH
    handoff.close()
    writer.dispose()


def test_closing_the_handoff_writes_what_waits_and_a_later_answer_is_written_at_once(
    database_url, engine
):
    writer = make_engine(database_url)
    release, holding, _commits = held(writer)
    handoff = inbox.Handoff(writer)
    for number in range(5):
        hand_on(handoff, f"U{number}")
    assert holding.wait(10)
    closing = threading.Thread(target=handoff.close)
    closing.start()
    release.set()
    closing.join(10)
    assert not closing.is_alive()
    assert len(waiting(engine)) == 5
    hand_on(handoff, "U9")  # a listener still finishing at shutdown
    assert len(waiting(engine)) == 6
    writer.dispose()


def test_a_row_that_cannot_be_written_costs_only_its_own_answer(engine, caplog):
    writer = make_engine(str(engine.url.render_as_string(hide_password=False)))
    release, holding, _commits = held(writer)
    handoff = inbox.Handoff(writer)
    lost: list[str] = []
    hand_on(handoff, "U0", lambda: lost.append("U0"))
    assert holding.wait(10)
    hand_on(handoff, "U1", lambda: lost.append("U1"), note="fine")
    hand_on(handoff, "U2", lambda: lost.append("U2"), note={1, 2})  # not JSON
    hand_on(handoff, "U3", lambda: lost.append("U3"), note="fine too")
    release.set()
    handoff.close()
    assert sorted(row.user_id for row in waiting(engine)) == ["U0", "U1", "U3"]
    assert lost == ["U2"]
    assert any("could not hand a checkin on" in r.getMessage() for r in caplog.records)
    writer.dispose()


def test_stopping_the_web_process_with_sigterm_writes_what_it_handed_on(
    deps, engine, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="bot.cli")
    steps: list[object] = []  # what run() did first: lower its priority, then build
    monkeypatch.setattr(os, "nice", steps.append)  # not pytest's own priority

    def build(*args, **kwargs):
        steps.append("app")
        return create_app(*args, **kwargs)

    monkeypatch.setattr(bot.app, "create_app", build)
    writer = make_engine(str(engine.url.render_as_string(hide_password=False)))
    release, holding, _commits = held(writer)
    handoff = inbox.Handoff(writer)
    for number in range(3):
        hand_on(handoff, f"U{number}")
    assert holding.wait(10)

    waiting_for_work = threading.Event()  # run() has started and waits to be stopped

    class Started(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("worker:"):
                waiting_for_work.set()

    def stop() -> None:
        in_time.append(waiting_for_work.wait(10))
        if in_time[0]:  # else run() has failed: pytest itself would get the signal
            os.kill(os.getpid(), signal.SIGTERM)  # as a process manager stops it
        release.set()

    in_time: list[bool] = []
    started, before = Started(), signal.getsignal(signal.SIGTERM)
    logging.getLogger("bot.cli").addHandler(started)
    stopper = threading.Thread(target=stop)
    stopper.start()
    try:
        web = dataclasses.replace(deps, handoff=handoff)
        assert bot.cli.run(web, serve=False, work=False) == 0
    finally:
        signal.signal(signal.SIGTERM, before)
        logging.getLogger("bot.cli").removeHandler(started)
        stopper.join(10)
    assert in_time == [True]
    # a process that doesn't serve yields to one that does, before any of its threads starts
    # (Linux keeps a priority per thread; a thread started earlier would keep its own)
    assert steps == [bot.cli.WORKER_NICE, "app"]
    assert len(waiting(engine)) == 3  # written before run() returned
    writer.dispose()


class Exited(Exception):
    """What the monkeypatched os._exit raises instead of ending pytest."""


def test_a_stopped_process_does_not_wait_long_for_a_job_still_running(monkeypatch, caplog):
    exits: list[int] = []

    def exit_(code: int) -> None:
        exits.append(code)
        raise Exited

    monkeypatch.setattr(os, "_exit", exit_)
    monkeypatch.setattr(logging, "shutdown", lambda: None)  # keeps pytest's log handlers
    idle = BackgroundScheduler()
    idle.start()
    bot.cli.stop_jobs(idle, grace=10)  # nothing running: it stops, and the process goes on
    assert not idle.running and exits == []

    running, release = threading.Event(), threading.Event()

    def long_sync() -> None:
        running.set()
        release.wait()

    busy = BackgroundScheduler()
    # Runs at once. A repeating job, as the app's are: a one-off one's removal after it starts
    # races the shutdown inside APScheduler (JobLookupError in its thread, now and then).
    busy.add_job(long_sync, "interval", hours=1, next_run_time=utcnow())
    busy.start()
    assert running.wait(10)
    try:
        with pytest.raises(Exited):
            bot.cli.stop_jobs(busy, grace=0)  # a grace of none, so no waiting in the test
    finally:
        release.set()
        for thread in threading.enumerate():  # the shutdown goes on: let it end in this test
            if thread.name == "stopping":
                thread.join(10)
    assert exits == [0]
    assert "stopped without waiting longer for running jobs" in caplog.text


def test_a_worker_that_cannot_lower_its_priority_says_so_and_goes_on(monkeypatch, caplog):
    def refuse(_increment: int) -> int:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "nice", refuse)
    bot.cli.yield_to_web()
    assert "could not lower its CPU priority" in caplog.text


def test_web_serves_without_the_scheduler_and_worker_works_without_serving(
    monkeypatch, database_url
):
    calls = []

    def run(deps, **kw) -> int:
        calls.append((deps.handoff is not None, kw))
        if deps.handoff is not None:
            deps.handoff.close()
        return 0

    monkeypatch.setattr(bot.cli, "run", run)
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
    org, engine, clock, sender, slack, web, handoff, app
):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    clock.set("2026-11-30T10:00:00+00:00")  # Monday 11:00 Berlin: closed, still open late
    web.action("checkin_open", "2026-W48", user="U1")
    web.submit(slack.of("views.open")[-1].params["view"], answer_values(), user="U1")
    assert handoff.flush(10)
    fail_once(slack, "chat.update")  # stored, then the DM update fails: the row is retried
    assert drain(engine, app, clock) == 0
    clock.now += inbox.TAKE
    assert drain(engine, app, clock) == 1
    [answer] = stored(engine)
    assert answer.late and answer.moved == "Shipped the <!channel> importer"
    assert [c for c in slack.of("chat.postMessage") if c.params["channel"] == "U1"][1:] == []
    assert "Checked in" in json.dumps(slack.of("chat.update")[-1].params["blocks"])


def test_an_older_answer_retried_after_a_newer_edit_leaves_the_edit(
    org, engine, clock, sender, slack, web, handoff, app
):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    submit(web, slack, clock, handoff=handoff, moved="First words")
    fail_once(slack, "chat.update")
    assert drain(engine, app, clock) == 0  # stored, but its row waits to be retried
    clock.now += timedelta(seconds=30)  # an edit, while the first row is still taken
    web.action("checkin_edit", "2026-W48", user="U1")
    web.submit(slack.of("views.open")[-1].params["view"], answer_values(moved="Edited"), user="U1")
    assert handoff.flush(10)
    assert drain(engine, app, clock) == 1  # the edit; the first row is still taken
    clock.now += inbox.TAKE
    assert drain(engine, app, clock) == 1  # the first row again
    [answer] = stored(engine)
    assert answer.moved == "Edited" and waiting(engine) == []
