"""Raise a blocker to leadership and hear back: only the manager it was written to raises,
only the leaders of that day answer, the person's name never reaches leadership, open ones
carry over, a closed one shows once, and forget-me, retention and export cover them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.digest.leadership_views import answer_modal
from bot.outbox.sender import Sender
from bot.workspace.export import org_export, person_export, team_export
from bot.workspace.forget import forget_person
from bot.workspace.retention import purge_old
from storage.models import Checkin, RaisedBlocker
from tests.conftest import TEAM, seed_org
from tests.slackreq import text_values

MEMBERS = ["U1", "U2", "U3", "U4", "U5"]
ORG = {
    "timezone": "Europe/Berlin",
    "leaders": ["UCEO"],
    "leadership_channel": "C0LEADERS",
    "objectives": [
        {"key": "eu-launch", "title": "Launch in the EU"},
        {"key": "hiring", "title": "Hire well"},
    ],
    "teams": [
        {"key": "platform", "name": "Platform", "manager": "UMGR", "members": MEMBERS},
        {"key": "mobile", "name": "Mobile", "manager": "UM2", "members": ["U7"]},
    ],
}
NAMES = {"UMGR": "Maria", "UM2": "Quinn", "UCEO": "Cleo", "U1": "Ana", "U2": "Ben"}
NAMES |= {"U3": "Cem", "U4": "Dana", "U5": "Eli", "U7": "Gus"}
PEOPLE = [{"user_id": u, "real_name": n, "tz": "Europe/Berlin"} for u, n in NAMES.items()]
BLOCKER = "Waiting on legal to sign the *EU* terms"


@pytest.fixture
def org(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    clock.set("2026-11-26T12:00:00+00:00")  # Thursday
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["UMGR", "UM2", *MEMBERS, "U7"], clock())
        session.add(
            Checkin(
                workspace_id=TEAM,
                user_id="U1",
                period="2026-W48",
                team_key="platform",
                manager_id="UMGR",
                status="answered",
                moved="Card payments in staging",
                blocked=BLOCKER,
                energy=3,
                objective_key="eu-launch",
            )
        )
        session.commit()
    return engine


def drain(org, clock, app, when: str) -> None:
    clock.set(when)
    Sender(org, lambda _w: app.client, clock).drain()


def posted(slack, channel: str) -> list[str]:
    return [
        json.dumps(c.params.get("blocks") or c.params.get("text"), ensure_ascii=False)
        for c in slack.of("chat.postMessage")
        if c.params["channel"] == channel
    ]


def raise_button(slack) -> str:
    [value] = [
        element["value"]
        for call in slack.of("chat.postMessage")
        if call.params["channel"] == "UMGR"
        for block in call.params.get("blocks") or []
        for element in block.get("elements", [])
        if element.get("action_id") == "digest_raise"
    ]
    return value


def open_raise(requests, slack, ref: str) -> dict:
    requests.action("digest_raise", ref, user="UMGR")
    view = slack.of("views.open")[-1].params["view"]
    assert view.get("callback_id") == "digest_raise_modal", view
    return view


def submit_raise(requests, view: dict, *, note: str = "Only legal's VP can unblock it") -> dict:
    tell = next(b for b in view["blocks"] if b.get("block_id") == "tell")["element"]
    objective = next(b for b in view["blocks"] if b.get("block_id") == "objective")["element"]
    values = {
        **text_values(note=note),
        "tell": {"value": {"type": "checkboxes", "selected_options": tell["initial_options"]}},
        "objective": {
            "value": {"type": "static_select", "selected_option": objective["initial_option"]}
        },
    }
    reply = requests.submit(view, values, user="UMGR")
    assert reply.status == 200
    return reply.json()


def raise_it(requests, slack, ref: str) -> dict:
    return submit_raise(requests, open_raise(requests, slack, ref))


def answer_it(requests, slack, ref: str, status: str, text: str, *, user: str = "UCEO"):
    requests.action("raised_answer", ref, user=user)
    view = slack.of("views.open")[-1].params["view"]
    values = {
        "status": {"value": {"type": "radio_buttons", "selected_option": {"value": status}}},
        **text_values(answer=text),
    }
    return view, requests.submit(view, values, user=user)


def the_raised(org) -> RaisedBlocker:
    with Session(org) as session:
        return session.exec(select(RaisedBlocker)).one()


def test_a_blocker_is_raised_answered_and_heard_back_end_to_end(org, clock, app, slack, requests):
    drain(org, clock, app, "2026-11-30T09:00:00+00:00")  # Monday: W48's digests
    ref = raise_button(slack)

    requests.action("digest_raise", ref, user="UM2")  # another manager: refused, nothing kept
    refused = json.dumps(slack.of("views.open")[-1].params["view"])
    assert "Only the manager" in refused and "legal" not in refused

    first, second = open_raise(requests, slack, ref), open_raise(requests, slack, ref)
    answered = submit_raise(requests, first)
    assert answered["response_action"] == "update"
    assert "Raised to leadership" in json.dumps(answered["view"])
    row = the_raised(org)
    assert (row.team_name, row.manager_id, row.objective_key, row.leaders) == (
        "Platform",
        "UMGR",
        "eu-launch",
        ["UCEO"],
    )
    [told] = [t for t in posted(slack, "U1") if "raised a blocker" in t]
    assert "Maria" in told and "∗EU∗" in told  # quoted: no bold from the person's words

    again = submit_raise(requests, second, note="again")  # raising twice is one raise
    assert "raised to leadership already" in json.dumps(again["view"])
    requests.action("digest_raise", ref, user="UMGR")  # and the button now says so
    assert "raised to leadership already" in json.dumps(slack.of("views.open")[-1].params["view"])
    with Session(org) as session:
        assert len(session.exec(select(RaisedBlocker)).all()) == 1

    drain(org, clock, app, "2026-12-07T09:00:00+00:00")  # W49's leadership digest
    [leadership] = [t for t in posted(slack, "C0LEADERS") if "2026-W49" in t]
    assert "Raised to leadership" in leadership and "*Launch in the EU*" in leadership
    assert "*Platform* — raised by Maria, 1 week(s) ago" in leadership
    assert "Only legal's VP can unblock it" in leadership and "legal to sign" in leadership
    assert "Ana" not in leadership  # never the person's name

    view, reply = answer_it(requests, slack, row.ref, "resolved", "Legal signed on Friday")
    assert "Platform" in json.dumps(view) and "Ana" not in json.dumps(view)
    assert reply.json()["response_action"] == "update"
    [to_manager] = [t for t in posted(slack, "UMGR") if "answered the blocker" in t]
    assert "Cleo" in to_manager and "Resolved" in to_manager and "Legal signed" in to_manager
    [to_person] = [t for t in posted(slack, "U1") if "leadership group answered" in t]
    assert "Resolved" in to_person and "Cleo" not in to_person

    drain(org, clock, app, "2026-12-14T09:00:00+00:00")  # W50: shown once as closed
    [w50] = [t for t in posted(slack, "C0LEADERS") if "2026-W50" in t]
    assert "You said, we did" in w50 and "Legal signed on Friday" in w50
    assert "Raised to leadership*" not in w50  # no longer open
    drain(org, clock, app, "2026-12-21T09:00:00+00:00")  # W51: not again
    [w51] = [t for t in posted(slack, "C0LEADERS") if "2026-W51" in t]
    assert "legal" not in w51.lower()


def test_only_the_leaders_of_the_day_it_was_raised_answer_and_nothing_changes_otherwise(
    org, clock, app, slack, requests
):
    drain(org, clock, app, "2026-11-30T09:00:00+00:00")
    raise_it(requests, slack, raise_button(slack))
    row = the_raised(org)
    for intruder in ("UMGR", "UM2", "U1"):  # the manager who raised it is not a leader
        requests.action("raised_answer", row.ref, user=intruder)
        refused = json.dumps(slack.of("views.open")[-1].params["view"])
        assert "Only the leaders" in refused and "legal" not in refused
        forged = answer_modal(row, {}, clock())  # the leader's modal, replayed by someone else
        values = {
            "status": {
                "value": {"type": "radio_buttons", "selected_option": {"value": "resolved"}}
            },
            **text_values(answer="done"),
        }
        reply = requests.submit(forged, values, user=intruder)
        assert reply.json()["response_action"] == "errors"
    assert the_raised(org).status == "open"
    # a leader named later reads only what is raised from then on
    with Session(org) as session:
        stored = session.exec(select(RaisedBlocker)).one()
        assert stored.leaders == ["UCEO"]


def test_wont_act_needs_a_why_and_an_open_one_carries_over_until_closed(
    org, clock, app, slack, requests
):
    drain(org, clock, app, "2026-11-30T09:00:00+00:00")
    raise_it(requests, slack, raise_button(slack))
    row = the_raised(org)
    _view, reply = answer_it(requests, slack, row.ref, "wont_act", "")
    assert reply.json()["response_action"] == "errors" and "answer" in reply.json()["errors"]
    _view, reply = answer_it(requests, slack, row.ref, "on_it", "Talking to legal")
    assert the_raised(org).status == "on_it"
    for week, when in (
        ("2026-W49", "2026-12-07T09:00:00+00:00"),
        ("2026-W50", "2026-12-14T09:00:00+00:00"),
    ):
        drain(org, clock, app, when)
        [digest] = [t for t in posted(slack, "C0LEADERS") if week in t]
        assert "legal to sign" in digest and "On it" in digest  # still open: carried over


def test_forget_me_removes_the_persons_words_and_keeps_the_team_and_the_note(
    org, clock, app, slack, requests
):
    drain(org, clock, app, "2026-11-30T09:00:00+00:00")
    raise_it(requests, slack, raise_button(slack))
    with Session(org) as session:
        forget_person(session, TEAM, "U1", clock(), stop=False)
    row = the_raised(org)
    assert row.words is None and row.user_id is None
    assert row.team_name == "Platform" and row.note == "Only legal's VP can unblock it"
    drain(org, clock, app, "2026-12-07T09:00:00+00:00")
    [digest] = [t for t in posted(slack, "C0LEADERS") if "2026-W49" in t]
    assert "legal to sign" not in digest and "erased at the person's request" in digest
    assert "Only legal's VP" in digest


def test_retention_and_export_cover_raised_blockers_and_their_answers(
    org, clock, app, slack, requests
):
    drain(org, clock, app, "2026-11-30T09:00:00+00:00")
    raise_it(requests, slack, raise_button(slack))
    answer_it(requests, slack, the_raised(org).ref, "on_it", "Talking to legal")
    with Session(org) as session:
        [everything] = org_export(session, TEAM)["raised_blockers"]
        [mine] = person_export(session, TEAM, "U1")["my_raised_blockers"]
        [raised_by_me] = team_export(session, TEAM, "UMGR")["raised_blockers"]
        assert "my_raised_blockers" not in person_export(session, TEAM, "U2")
    for row in (everything, mine, raised_by_me):
        assert row["blocker"] == BLOCKER and row["status"] == "on_it"
        assert row["answer"] == "Talking to legal" and row["answered_by"] == "Cleo"
    purge_old(org, clock() + timedelta(days=731))  # past answers_days (730)
    with Session(org) as session:
        assert session.exec(select(RaisedBlocker)).all() == []


def test_a_preview_shows_no_reply_button_and_marks_nothing_shown(org, clock):
    from bot.digest import delivery
    from bot.digest import raised as raised_rules
    from bot.org.plan import load_config

    with Session(org) as session:
        checkin = session.exec(select(Checkin)).one()
        config = load_config(session, TEAM)
        row, new = raised_rules.raise_blocker(
            session,
            config,
            checkin,
            team_name="Platform",
            objective_key=None,
            note=None,
            tell=False,
            now=datetime.fromisoformat("2026-11-30T10:00:00+00:00"),
        )
        raised_rules.answer(session, row, "UCEO", "resolved", "", clock())
        composed = delivery.compose_leadership(
            session, config, TEAM, "2026-W49", clock(), preview=True
        )
    assert new and composed.closed == []
    assert "raised_answer" not in json.dumps(composed.blocks)
    assert "You said, we did" in json.dumps(composed.blocks)
