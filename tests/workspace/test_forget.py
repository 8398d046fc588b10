"""Forget me: a confirmation first, then the person's answers and mentions are gone for good."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.workspace.forget import FOREVER, forget_person
from storage.models import Checkin, Delivery, Person, Reflection
from tests.conftest import TEAM, seed_org

ORG = {
    "timezone": "Europe/Berlin",
    "teams": [
        {"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2", "U3"]}
    ],
}
PEOPLE = [
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "U1", "real_name": "Ana", "tz": "Europe/Berlin"},
    {"user_id": "U2", "real_name": "Ben Forgotten", "tz": "Europe/Berlin"},
    {"user_id": "U3", "real_name": "Cy", "tz": "Europe/Berlin"},
]


def answer(workspace_id: str, user_id: str, helped: list[str]) -> Checkin:
    return Checkin(
        workspace_id=workspace_id,
        user_id=user_id,
        period="2026-W48",
        team_key="platform",
        manager_id="UMGR",
        status="answered",
        moved=f"{user_id} shipped it",
        energy=4,
        helped_users=helped,
    )


@pytest.fixture
def org(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    seed_org(engine, ORG, PEOPLE, workspace_id="T0002")  # the same ids elsewhere stay untouched
    with Session(engine) as session:
        for workspace_id in (TEAM, "T0002"):
            session.add(answer(workspace_id, "U1", ["U2", "U3"]))
            session.add(answer(workspace_id, "U2", ["U1"]))
            session.add(answer(workspace_id, "U3", ["U22"]))  # an id that merely contains "U2"
            session.add(Reflection(workspace_id=workspace_id, user_id="U2", how="by shipping"))
        checkins.replan(session, TEAM, ["U1", "U2", "U3", "UMGR"], clock())
        session.commit()


def confirm(requests, slack, *, stop: bool) -> dict:
    requests.command("/leadership", "forget-me", user="U2")
    view = slack.of("views.open")[-1].params["view"]
    chosen = [{"value": "stop"}] if stop else []
    values = {"stop": {"value": {"type": "checkboxes", "selected_options": chosen}}}
    reply = requests.submit(view, values, user="U2")
    assert reply.status == 200
    return reply.json()


def test_the_command_only_opens_a_confirmation_saying_what_goes(org, requests, slack, engine):
    requests.command("/leadership", "forget-me", user="U2")
    [opened] = slack.of("views.open")
    view = opened.params["view"]
    assert (
        view["callback_id"] == "forget_me" and opened.params["trigger_id"] == requests.last_trigger
    )
    assert "cannot find yours to delete" in json.dumps(view)
    with Session(engine) as session:
        assert len(session.exec(select(Checkin).where(Checkin.user_id == "U2")).all()) == 2


def test_confirming_erases_answers_reflections_and_mentions_in_this_workspace_only(
    org, requests, slack, engine
):
    done = confirm(requests, slack, stop=False)
    assert done["response_action"] == "update"
    shown = json.dumps(done["view"])
    assert "erased 1 check-in(s) and 1 reflection(s)" in shown and "1 of others" in shown
    assert "Anonymous concerns can't be traced to you" in shown
    with Session(engine) as session:
        rows = session.exec(select(Checkin).where(Checkin.workspace_id == TEAM)).all()
        helped = {row.user_id: row.helped_users for row in rows}
        assert helped == {"U1": ["U3"], "U3": ["U22"]}
        assert session.exec(select(Reflection.workspace_id)).all() == ["T0002"]
        elsewhere = session.exec(select(Checkin).where(Checkin.workspace_id == "T0002")).all()
        assert len(elsewhere) == 3 and ["U2", "U3"] in [r.helped_users for r in elsewhere]
        person = session.exec(select(Person).where(Person.user_id == "U2")).first()
        assert person.paused_until is None  # check-ins go on unless asked
        nudges = session.exec(
            select(Delivery.status).where(Delivery.subject == "U2", Delivery.kind == "nudge")
        ).all()
        assert set(nudges) == {"pending"}


def test_also_stopping_check_ins_pauses_and_cancels_what_is_planned(
    org, requests, slack, engine, clock, sender
):
    done = confirm(requests, slack, stop=True)
    assert "Your check-ins are stopped" in json.dumps(done["view"])
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    assert "U2" not in [c.params["channel"] for c in slack.of("chat.postMessage")]
    with Session(engine) as session:
        person = session.exec(
            select(Person).where(Person.workspace_id == TEAM, Person.user_id == "U2")
        ).one()
        assert person.paused_until == FOREVER
    requests.command("/leadership", "resume", user="U2")
    assert "Welcome back" in slack.responses()[-1]["text"]


def test_a_digest_sent_afterwards_does_not_mention_them(org, engine, clock, sender, slack):
    with Session(engine) as session:
        forget_person(session, TEAM, "U2", clock(), stop=True)
    clock.set("2026-11-30T09:00:00+00:00")  # the digest of 2026-W48
    sender.drain()
    [digest] = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "UMGR"]
    shown = json.dumps(digest.params["blocks"])
    assert "U1 shipped it" in shown
    assert "U2 shipped it" not in shown and "Ben Forgotten" not in shown and "<@U2>" not in shown
