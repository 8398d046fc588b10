"""When the database fails, every listener still answers Slack and tells the person (issue 21).

Each case below is one slash command (with each way it is used), one button or one view
submission of the app, sent over HTTP while the database fails (tests/conftest.py
`DatabaseOutage`: on SQLite, and on PostgreSQL with TEST_DATABASE_URL). The answer is 200 (or
the modal's inline error, its words kept), never a 404 or a 5xx; the person is told; nothing
is half-stored. `test_the_cases_cover_every_listener_the_app_registers` proves the list
complete against what `handlers.register_all` registers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

import handlers
import prompts
from bot.app import create_app
from bot.checkin import rules as checkins
from bot.checkin import views as checkin_views
from bot.concerns import answer_views
from bot.concerns import views as concern_views
from bot.concerns.audience import Audience
from bot.digest.leadership_views import RAISED_ANSWER_MODAL, answer_modal
from bot.digest.views import RAISE_MODAL, REPLY_MODAL, raise_modal, reply_modal
from bot.home import views as home_views
from bot.runtime.deps import utcnow
from bot.setup import question_views
from bot.setup import schedule_views as admin_schedule
from bot.setup import views as admin_views
from bot.standin.serve import LoopbackServer
from bot.web import failsafe
from bot.workspace import yourdata_views as yourdata
from bot.workspace.manifest import load_manifest
from handlers import checkin as checkin_handlers
from storage.models import Checkin, Concern, RaisedBlocker
from tests.admin_kit import filled, pick
from tests.concern_kit import (
    CODE,
    ORG,
    PEOPLE,
    WRITER,
    compose_values,
    deliver_all,
    digest_select,
    open_compose,
    raise_concern,
    view_action,
)
from tests.conftest import TEAM, DatabaseOutage, seed_org
from tests.slackreq import Reply, SlackRequests, text_values
from tests.tenancy_kit import install
from tests.workspace.test_manifest import Recorder

NUDGE = "2026-11-27T13:00:00+00:00"  # Fri 14:00 in Berlin: week 48 opens for Platform
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WEEK = "2026-W48"
OBJECTIVES = [{"key": "eu", "title": "Launch in the EU"}]
ERROR = prompts.text("common.error")
MODAL_ERROR = prompts.text("failure.modal")


@dataclass
class World:
    """The app, the fake Slack and the database of one case, and what its setup made."""

    requests: SlackRequests
    slack: Any
    engine: Any
    code: str = ""
    concern_ref: str = ""
    checkin_ref: str = ""


@pytest.fixture
def world(engine, clock, requests, slack) -> World:
    seed_org(engine, {**ORG, "objectives": OBJECTIVES, "admins": ["UMGR"]}, PEOPLE)
    clock.set(NUDGE)
    with Session(engine) as session:
        people = [person["user_id"] for person in PEOPLE]
        checkins.replan(session, TEAM, people, clock())
        session.commit()
    return World(requests, slack, engine)


# --- what some cases need stored before the database fails -----------------------------------


def a_concern(w: World) -> None:
    w.code = raise_concern(w.requests, w.slack)


def a_delivered_concern(w: World) -> None:
    a_concern(w)
    [w.concern_ref] = deliver_all(w.engine, Audience.team("platform"), MONDAY)


def a_checkin(w: World) -> None:
    with Session(w.engine) as session:
        row = Checkin(
            workspace_id=TEAM,
            user_id=WRITER,
            period=WEEK,
            team_key="platform",
            manager_id="UMGR",
            status="answered",
            moved="Shipped the importer",
        )
        session.add(row)
        session.commit()
        w.checkin_ref = row.ref


def the_concern(w: World) -> Concern:
    with Session(w.engine) as session:
        return session.exec(select(Concern)).one()


# --- how each case is sent --------------------------------------------------------------------


# Each returns what prepares the request while the database still answers (a modal to submit
# is opened first), and gives what sends it.
Send = Callable[[], Reply]
Prepare = Callable[[World], Send]


def command(name: str, text: str = "", user: str = WRITER) -> Prepare:
    return lambda w: lambda: w.requests.command(name, text.format(code=w.code), user=user)


def button(action_id: str, value: str = WEEK, user: str = WRITER) -> Prepare:
    """A button in a DM (it has a response_url)."""
    return lambda w: (
        lambda: w.requests.action(
            action_id, value.format(checkin=w.checkin_ref, concern=w.concern_ref), user=user
        )
    )


def home_button(action_id: str, value: str = "", user: str = WRITER) -> Prepare:
    return lambda w: lambda: w.requests.home_action(action_id, value, user=user)


def modal_button(action_id: str, view: Callable[[World], dict], user: str) -> Prepare:
    def prepare(w: World) -> Send:
        built = view(w)
        return lambda: view_action(w.requests, built, action_id, user=user)

    return prepare


def submission(
    view: Callable[[World], dict], values: Callable[[dict], dict] = filled, user: str = WRITER
) -> Prepare:
    def prepare(w: World) -> Send:
        built = view(w)
        return lambda: w.requests.submit(built, values(built), user=user)

    return prepare


def event(kind: str, **fields: Any) -> Prepare:
    return lambda w: lambda: w.requests.event({"type": kind, **fields, "event_ts": "1.1"})


def checkin_modal(_w: World) -> dict:
    until = int(datetime(2026, 11, 30, 9, tzinfo=UTC).timestamp())  # the week's close
    answer = checkin_views.Answer()
    return checkin_views.checkin_modal(
        WEEK, answer=answer, who_sees="Maria", objectives=[("eu", "EU")], until=until
    )


def checkin_values(view: dict) -> dict:
    values = filled(view)
    values["moved"]["value"]["value"] = "Shipped the importer"
    values["energy"]["value"]["selected_option"] = pick("4")
    return values


def thread_modal(w: World) -> dict:
    w.requests.command("/concern", f"status {w.code}", user=WRITER)
    return w.slack.of("views.open")[-1].params["view"]


def reflection_modal(w: World) -> dict:
    w.requests.action("strategy_open", "", user=WRITER)
    return w.slack.of("views.open")[-1].params["view"]


def reflection_values(view: dict) -> dict:
    values = filled(view)
    for state in values.values():
        if state["value"]["type"] == "plain_text_input":
            state["value"]["value"] = "By shipping the payment rails"
        elif state["value"]["type"] == "multi_static_select":
            state["value"]["selected_options"] = [pick("eu")]
    return values


def admin_modal(build: Callable[[], dict]) -> Callable[[World], dict]:
    return lambda _w: {**build(), "root_view_id": "VROOT"}


def org_config() -> Any:
    from bot.org.config import OrgConfig

    return OrgConfig.model_validate({**ORG, "objectives": OBJECTIVES})


def objective_values(view: dict) -> dict:
    values = filled(view)
    values["title"]["value"]["value"] = "Grow in Asia"
    return values


@dataclass(frozen=True)
class Case:
    kind: str  # command, action, view or event
    id: str  # the command, action_id, callback_id or event type it exercises
    prepare: Prepare
    told: str  # ephemeral | notice | errors:<block_id> | works | nobody
    setup: Callable[[World], None] | None = None
    name: str = ""


CASES = [
    Case("command", "/checkin", command("/checkin"), "ephemeral"),
    Case("command", "/concern", command("/concern"), "ephemeral", name="blank"),
    Case(
        "command",
        "/concern",
        command("/concern", "Stand-ups run long"),
        "ephemeral",
        name="with text",
    ),
    Case(
        "command",
        "/concern",
        command("/concern", "status {code}"),
        "ephemeral",
        a_concern,
        name="status with a code",
    ),
    Case("command", "/concern", command("/concern", "status"), "works", name="status"),
    Case("command", "/leadership", command("/leadership", "pause 2w"), "ephemeral", name="pause"),
    Case("command", "/leadership", command("/leadership", "resume"), "ephemeral", name="resume"),
    Case(
        "command",
        "/leadership",
        command("/leadership", "digest", "UMGR"),
        "ephemeral",
        name="digest",
    ),
    Case("command", "/leadership", command("/leadership", "export"), "ephemeral", name="export"),
    Case("command", "/leadership", command("/leadership", "forget-me"), "works", name="forget-me"),
    Case("command", "/leadership", command("/leadership", "help"), "works", name="help"),
    Case("action", "checkin_open", button("checkin_open"), "ephemeral"),
    Case("action", "checkin_edit", button("checkin_edit"), "ephemeral"),
    Case("action", "checkin_skip", button("checkin_skip"), "ephemeral"),
    Case("action", "checkin_later", button("checkin_later"), "ephemeral"),
    Case(
        "action", "checkin_open", home_button("checkin_open", WEEK), "notice", name="from App Home"
    ),
    Case("action", "concern_raise", home_button("concern_raise"), "works"),
    Case("action", "concern_check", home_button("concern_check"), "works"),
    Case(
        "action",
        "concern_withdraw",
        modal_button("concern_withdraw", thread_modal, WRITER),
        "notice",
        a_concern,
    ),
    Case(
        "action",
        "concern_reply",
        button("concern_reply", "{concern}", "UMGR"),
        "ephemeral",
        a_delivered_concern,
    ),
    Case(
        "action",
        "concern_set_status",
        lambda w: lambda: digest_select(w.requests, f"{w.concern_ref}:planned", user="UMGR"),
        "ephemeral",
        a_delivered_concern,
    ),
    Case(
        "action",
        "digest_reply",
        button("digest_reply", "{checkin}:moved", "UMGR"),
        "ephemeral",
        a_checkin,
    ),
    Case(
        "action",
        "digest_raise",
        button("digest_raise", "{checkin}", "UMGR"),
        "ephemeral",
        a_checkin,
    ),
    Case("action", "raised_answer", button("raised_answer", "R3F", "UMGR"), "ephemeral"),
    Case("action", "home_see_all", home_button("home_see_all", "objectives"), "notice"),
    Case("action", "strategy_open", button("strategy_open", ""), "ephemeral"),
    Case(
        "action",
        home_views.ADMIN.pattern,
        home_button("admin_open_objectives", "objectives", "UMGR"),
        "notice",
    ),
    *(
        Case(
            "action",
            action_id,
            modal_button(action_id, admin_modal(lambda: admin_views.teams_modal([])), "UMGR"),
            "notice",
        )
        for action_id in (
            "admin_objective_add",
            "admin_objective_edit",
            "admin_team_create",
            "admin_team_edit",
            "admin_team_schedule",
        )
    ),
    Case("action", "questions_open", home_button("questions_open", "platform", "UMGR"), "notice"),
    *(
        Case(
            "action",
            action_id,
            modal_button(
                action_id,
                admin_modal(lambda: question_views.list_modal(org_config(), "platform")),
                "UMGR",
            ),
            "notice",
        )
        for action_id in ("questions_add", "questions_menu", "questions_preview", "questions_reset")
    ),
    Case("view", "checkin_modal", submission(checkin_modal, checkin_values), "errors:moved"),
    Case(
        "view",
        "concern_compose",
        submission(lambda w: open_compose(w.requests, w.slack), lambda _v: compose_values()),
        "errors:text",
    ),
    Case(
        "view",
        "concern_lookup",
        submission(
            lambda _w: concern_views.lookup_modal(),
            lambda _v: text_values(code="ABCD-EFGH-JKLM-NPQR"),
        ),
        "errors:code",
    ),
    Case(
        "view",
        "concern_thread",
        submission(thread_modal, lambda _v: text_values(followup="Any news?")),
        "errors:followup",
        a_concern,
    ),
    Case(
        "view",
        "concern_reply_modal",
        submission(
            lambda w: answer_views.reply_modal(the_concern(w)),
            lambda _v: text_values(reply="We will shorten them."),
            "UMGR",
        ),
        "errors:reply",
        a_delivered_concern,
    ),
    Case(
        "view",
        "concern_why_modal",
        submission(
            lambda w: answer_views.why_modal(the_concern(w)),
            lambda _v: text_values(why="It is the law."),
            "UMGR",
        ),
        "errors:why",
        a_delivered_concern,
    ),
    Case(
        "view",
        REPLY_MODAL,
        submission(
            lambda w: reply_modal("Wanda", f"{w.checkin_ref}:moved", quote="Shipped"),
            lambda _v: text_values(reply="Well done!"),
            "UMGR",
        ),
        "errors:reply",
        a_checkin,
    ),
    Case(
        "view",
        RAISE_MODAL,
        submission(
            lambda w: raise_modal("Wanda", w.checkin_ref, words="Stuck on legal"),
            lambda _v: text_values(note="Only you can unblock this"),
            "UMGR",
        ),
        "errors:note",
        a_checkin,
    ),
    Case(
        "view",
        RAISED_ANSWER_MODAL,
        submission(
            lambda _w: answer_modal(
                RaisedBlocker(
                    ref="R3F",
                    workspace_id=TEAM,
                    checkin_ref="C1",
                    period=WEEK,
                    team_key="platform",
                    team_name="Platform",
                    manager_id="UMGR",
                    words="Stuck on legal",
                    leaders=["UMGR"],
                    created_at=MONDAY,
                ),
                {},
                MONDAY,
            ),
            lambda _v: {
                "status": {
                    "value": {"type": "radio_buttons", "selected_option": {"value": "on_it"}}
                },
                **text_values(answer="We are on it"),
            },
            "UMGR",
        ),
        "errors:answer",
    ),
    Case("view", "strategy_modal", submission(reflection_modal, reflection_values), "errors:how"),
    Case(
        "view",
        "admin_objective_form",
        submission(admin_modal(lambda: admin_views.objective_form(None)), objective_values, "UMGR"),
        "errors:description",
    ),
    Case(
        "view",
        "admin_team_form",
        submission(
            admin_modal(lambda: admin_views.team_form(None, org_config().teams)), user="UMGR"
        ),
        "errors:name",
    ),
    Case(
        "view",
        "admin_leaders",
        submission(admin_modal(lambda: admin_views.leaders_modal(org_config())), user="UMGR"),
        "errors:leaders",
    ),
    Case(
        "view",
        "admin_schedule",
        submission(admin_modal(lambda: admin_schedule.schedule_modal(org_config())), user="UMGR"),
        "errors:checkin_day",
    ),
    Case(
        "view",
        "questions_form",
        submission(
            admin_modal(lambda: question_views.question_form("platform", None)), user="UMGR"
        ),
        "errors:options",
    ),
    Case(
        "view",
        "questions_previewed",
        submission(
            admin_modal(lambda: question_views.preview_modal(org_config(), "platform", 5)),
            user="UMGR",
        ),
        "nobody",  # its Save only closes it: no database, nothing to tell
    ),
    Case("view", "forget_me", submission(lambda _w: yourdata.forget_modal()), "errors:stop"),
    Case("event", "app_home_opened", event("app_home_opened", user=WRITER, tab="home"), "nobody"),
    *(
        Case(
            "event",
            kind,
            event(kind, user={"id": "UP2", "team_id": TEAM, "name": "p2", "tz": "Asia/Tokyo"}),
            "nobody",
        )
        for kind in ("user_change", "team_join")
    ),
    Case("event", "app_uninstalled", event("app_uninstalled"), "nobody"),
    Case("event", "tokens_revoked", event("tokens_revoked", tokens={"bot": ["UBOT"]}), "nobody"),
]


def label(case: Case) -> str:
    return f"{case.kind} {case.id}" + (f" ({case.name})" if case.name else "")


def snapshot(engine) -> dict[str, list]:
    """Every row of every table, to show that nothing was stored, half or whole."""
    with Session(engine) as session:
        return {
            table.name: sorted(map(repr, session.execute(sa.select(table)).all()))
            for table in SQLModel.metadata.sorted_tables
            if table.name != "seen_event"  # an event's id is recorded before any listener
        }


def said(slack) -> list[str]:
    """Every text the person was shown: ephemeral replies, notices, DMs."""
    texts = [str(params.get("text", "")) for params in slack.responses()]
    for method in ("views.open", "views.push"):
        texts += [json.dumps(call.params["view"]) for call in slack.of(method)]
    return texts + [str(call.params.get("text", "")) for call in slack.of("chat.postMessage")]


@pytest.mark.parametrize("case", CASES, ids=label)
def test_every_listener_answers_slack_and_tells_the_person_when_the_database_fails(
    case: Case, world: World, outage: DatabaseOutage, deps
) -> None:
    if case.setup is not None:
        case.setup(world)
    send = case.prepare(world)
    slack = world.slack
    deps.outages.database.failed("job inbox", utcnow(), "a test")  # noticed, as within 1 s
    before = snapshot(world.engine)
    slack.calls.clear()

    outage.start()
    reply = send()
    outage.end()

    assert reply.status == 200, reply.body
    assert snapshot(world.engine) == before
    texts = said(slack)
    if case.told.startswith("errors:"):
        block_id = case.told.removeprefix("errors:")
        assert reply.json() == {"response_action": "errors", "errors": {block_id: MODAL_ERROR}}
    elif case.told == "ephemeral":
        assert [r["text"] for r in slack.responses()] == [ERROR]
        assert slack.responses()[0]["response_type"] == "ephemeral"
    elif case.told == "notice":
        assert len(texts) == 1 and ERROR in texts[0]
    elif case.told == "works":  # it needs no database: the person gets what they asked for
        assert texts and not any(ERROR in text for text in texts)
    else:
        assert texts == [] and reply.body in ("", "ok")


def test_the_cases_cover_every_listener_the_app_registers() -> None:
    recorder = Recorder()
    handlers.register_all(recorder, utcnow)  # type: ignore[arg-type]
    registered = {(kind, name) for kind, names in recorder.seen.items() for name in names}
    assert {(case.kind, case.id) for case in CASES} == registered
    manifest = load_manifest()  # and every command and event app.yml declares
    declared = {("command", c["command"]) for c in manifest["features"]["slash_commands"]}
    declared |= {("event", e) for e in manifest["settings"]["event_subscriptions"]["bot_events"]}
    assert declared <= {(case.kind, case.id) for case in CASES}


def test_every_listener_of_the_app_fails_its_one_way(app) -> None:
    listeners = app._listeners  # noqa: SLF001 - Bolt keeps no public list
    assert listeners and all(getattr(li.ack_function, failsafe.WRAPPED, False) for li in listeners)


# --- failing part of the way, and failing for other reasons ------------------------------------


def concerns_stored(engine) -> list[Concern]:
    with Session(engine) as session:
        return list(session.exec(select(Concern)))


def test_a_concern_is_stored_whole_with_its_code_shown_or_not_at_all_wherever_the_database_fails(
    world: World, outage: DatabaseOutage
) -> None:
    view = open_compose(world.requests, world.slack)
    for statements in range(60):  # the database fails after this many statements
        outage.start(after=statements)
        answer = world.requests.submit(view, compose_values(), user=WRITER)
        outage.end()
        assert answer.status == 200, answer.body
        stored = concerns_stored(world.engine)
        if answer.json()["response_action"] == "update":  # the receipt: it got through
            assert len(stored) == 1 and stored[0].status == "new"
            assert CODE.search(json.dumps(answer.json()["view"]))
            break
        assert answer.json() == {"response_action": "errors", "errors": {"text": MODAL_ERROR}}
        assert stored == []  # the modal kept the words; nothing was kept here
    else:
        pytest.fail("the concern was never stored")
    assert statements > 3  # it did fail part of the way, several times


def test_a_listener_that_fails_after_saving_says_it_was_saved(
    world: World, outage: DatabaseOutage
) -> None:
    a_concern(world)
    thread = thread_modal(world)
    world.slack.on["views.update"] = lambda _p: {
        "ok": False,
        "error": "fatal_error",
        "_status": 500,
    }
    reply = view_action(world.requests, thread, "concern_withdraw")
    assert reply.status == 200
    assert concerns_stored(world.engine)[0].status == "withdrawn"  # kept
    [notice] = world.slack.of("views.push")
    assert prompts.text("failure.kept") in json.dumps(notice.params["view"])


def test_a_bug_after_the_acknowledgement_keeps_it_tells_the_person_and_logs_no_request_body(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(checkin_handlers, "plan_for", broken)
    with caplog.at_level("DEBUG"):
        reply = world.requests.command("/checkin", "secret words nobody may log", user=WRITER)
    assert (reply.status, reply.body) == (200, "")
    assert [r["text"] for r in world.slack.responses()] == [ERROR]
    [line] = [r for r in caplog.records if r.name == "bot.web.failsafe"]
    assert line.levelname == "ERROR" and line.exc_info and "checkin_command" in line.getMessage()
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert "secret words" not in ours and WRITER not in ours


def test_a_check_in_sent_before_anyone_noticed_the_outage_comes_back_by_dm(
    world: World, outage: DatabaseOutage, deps
) -> None:
    view = checkin_modal(world)
    world.requests.command("/leadership", "help", user=WRITER)  # the workspace is known
    outage.start()
    reply = world.requests.submit(view, checkin_values(view), user=WRITER)
    outage.end()
    assert (reply.status, reply.body) == (200, "")  # acknowledged: the modal closed
    [dm] = world.slack.of("chat.postMessage")
    assert dm.params["channel"] == WRITER and "Shipped the importer" in dm.params["text"]
    assert deps.outages.database.down  # and the next one stays in its modal
    assert world.requests.submit(view, checkin_values(view), user=WRITER).json() == {
        "response_action": "errors",
        "errors": {"moved": MODAL_ERROR},
    }


def test_with_bolts_own_thread_pool_a_failure_after_ack_is_still_a_200(
    world: World, outage: DatabaseOutage, deps
) -> None:
    """The race of issue 21: Bolt's runner took the acknowledgement back (404s, 3 in 5)."""
    server = LoopbackServer(create_app(deps))  # listeners in a pool, as in production
    try:
        threaded = SlackRequests(server.url, team_id=TEAM, response_url=world.slack.response_url)
        outage.start()
        replies = [threaded.command("/checkin", user=WRITER) for _ in range(5)]
        outage.end()
    finally:
        server.stop()
    assert [reply.status for reply in replies] == [200] * 5


def test_in_oauth_mode_a_workspace_whose_installation_cannot_be_read_still_gets_answers(
    engine, oauth_settings, tenants, slack, outage
) -> None:
    """Bolt reads the installation from the database before any listener runs."""
    install(oauth_settings, engine, TEAM)
    seed_org(engine, {**ORG, "objectives": OBJECTIVES}, PEOPLE)
    requests = tenants[TEAM]
    outage.start()
    command_reply = requests.command("/checkin", user=WRITER)
    view = concern_views.compose_modal()
    submit_reply = requests.submit(view, compose_values(), user=WRITER)
    outage.end()
    assert (command_reply.status, command_reply.body) == (200, "")
    assert [r["text"] for r in slack.responses()] == [ERROR]
    assert submit_reply.status == 200
    assert submit_reply.json() == {"response_action": "errors", "errors": {"text": MODAL_ERROR}}
    assert concerns_stored(engine) == []
