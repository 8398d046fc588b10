"""Two workspaces with the same user ids never see each other's anything (DESIGN 3).

Both are installed by OAuth and driven through signed requests; every surface is checked:
App Home, /checkin and its modal, stored answers, /concern status codes, digests, exports.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.concerns import rules as concerns
from bot.workspace.export import export_data
from storage.models import Checkin, Concern, Person
from tests.conftest import seed_org
from tests.slackreq import select_value, text_values
from tests.tenancy_kit import (
    ONE,
    TOKENS,
    TWO,
    install,
)

SAID = {ONE: "alpha shipped the importer", TWO: "beta opened the Lisbon shop"}
MANAGERS = {ONE: "Maria Manager", TWO: "Bruno Boss"}
OBJECTIVES = {ONE: "Launch in the EU", TWO: "Open a shop in Lisbon"}


def org(team: str) -> dict:
    return {
        "timezone": "Europe/Berlin",
        "objectives": [{"key": "goal", "title": OBJECTIVES[team]}],
        "teams": [
            {"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2"]}
        ],
    }


def people(team: str) -> list[dict]:
    return [
        {"user_id": "UMGR", "real_name": MANAGERS[team], "tz": "Europe/Berlin"},
        {"user_id": "U1", "real_name": f"Ana of {team}", "tz": "Europe/Berlin"},
        {"user_id": "U2", "real_name": f"Ben of {team}", "tz": "Europe/Berlin"},
    ]


@pytest.fixture
def both(engine, clock, oauth_settings):
    for team in (ONE, TWO):
        seed_org(engine, org(team), people(team), workspace_id=team)
        install(oauth_settings, engine, team)
        with Session(engine) as session:
            checkins.replan(session, team, ["U1", "U2", "UMGR"], clock())
            session.commit()


def other(team: str) -> str:
    return TWO if team == ONE else ONE


def answers(team: str) -> dict:
    values = text_values(moved=SAID[team], learned="", blocked="")
    values.update(select_value("energy", "4"))
    values.update(select_value("objective", "goal"))
    values["helped_users"] = {"value": {"type": "multi_users_select", "selected_users": ["U2"]}}
    return values


def check_in_both(tenants, slack, clock) -> None:
    clock.set("2026-11-27T15:00:00+00:00")
    for team in (ONE, TWO):
        tenants[team].command("/checkin", user="U1")
        view = slack.of("views.open")[-1].params["view"]
        assert tenants[team].submit(view, answers(team), user="U1").status == 200


def test_home_tabs_show_only_their_own_workspace(both, tenants, slack):
    for team in (ONE, TWO):
        tenants[team].event({"type": "app_home_opened", "user": "U1", "tab": "home"})
        published = slack.of("views.publish")[-1]
        shown = json.dumps(published.params["view"])
        assert published.token == TOKENS[team]
        assert OBJECTIVES[team] in shown and OBJECTIVES[other(team)] not in shown


def test_checkin_modals_and_stored_answers_stay_in_their_workspace(
    both, tenants, slack, clock, engine
):
    check_in_both(tenants, slack, clock)
    for call, team in zip(slack.of("views.open"), (ONE, TWO), strict=True):
        shown = json.dumps(call.params["view"])
        assert call.token == TOKENS[team]
        assert MANAGERS[team] in shown and MANAGERS[other(team)] not in shown
        assert OBJECTIVES[team] in shown and OBJECTIVES[other(team)] not in shown
    with Session(engine) as session:
        stored = {(row.workspace_id, row.moved) for row in session.exec(select(Checkin))}
    assert stored == {(ONE, SAID[ONE]), (TWO, SAID[TWO])}


def test_a_concern_code_from_one_workspace_is_unknown_in_the_other(both, tenants, slack, engine):
    code = concerns.new_code()
    with Session(engine) as session:
        session.add(
            Concern(
                workspace_id=ONE,
                topic="work",
                text="Only the first workspace may read this",
                audience_kind="leadership",
                code_hash=concerns.hash_code(concerns.normalise_code(code) or ""),
                created_on=date(2026, 11, 27),
            )
        )
        session.commit()
    tenants[TWO].command("/concern", f"status {code}", user="U1")
    elsewhere = json.dumps(slack.of("views.open")[-1].params["view"])
    assert "Only the first workspace" not in elsewhere and "No concern matches" in elsewhere
    tenants[ONE].command("/concern", f"status {code}", user="U1")
    assert "Only the first workspace" in json.dumps(slack.of("views.open")[-1].params["view"])


def test_digests_carry_only_their_own_workspaces_answers(both, tenants, slack, clock, oauth_sender):
    check_in_both(tenants, slack, clock)
    clock.set("2026-11-30T09:00:00+00:00")  # Monday 10:00 in Berlin: the week closes
    oauth_sender.drain()
    digests = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "UMGR"]
    assert {call.token for call in digests} == {TOKENS[ONE], TOKENS[TWO]}
    for call in digests:
        team = ONE if call.token == TOKENS[ONE] else TWO
        shown = json.dumps(call.params.get("blocks"))
        assert SAID[other(team)] not in shown and f"of {other(team)}" not in shown
    assert any(SAID[ONE] in json.dumps(c.params.get("blocks")) for c in digests)
    assert any(SAID[TWO] in json.dumps(c.params.get("blocks")) for c in digests)


def test_exports_by_command_and_by_cli_hold_only_their_workspace(
    both, tenants, slack, clock, engine, tmp_path
):
    check_in_both(tenants, slack, clock)
    tenants[TWO].command("/leadership", "export", user="UMGR")  # the manager: team's too
    uploaded = slack.uploads()
    assert "leadbot-team_checkins.csv" in uploaded
    everything = b"".join(uploaded.values()).decode()
    assert SAID[TWO] in everything and SAID[ONE] not in everything
    files = [c for c in slack.calls if c.method.startswith("files.")]
    assert files and {c.token for c in files} == {TOKENS[TWO]}

    out = tmp_path / "export"
    assert export_data(engine, str(out), ONE, err=io.StringIO()) == 0
    written = "".join(path.read_text() for path in out.iterdir())
    assert SAID[ONE] in written and SAID[TWO] not in written and OBJECTIVES[TWO] not in written


def test_a_user_change_in_one_workspace_leaves_the_same_id_in_the_other_alone(
    both, tenants, engine
):
    user = {"id": "U1", "team_id": TWO, "name": "u1", "tz": "Asia/Tokyo", "profile": {}}
    tenants[TWO].event({"type": "user_change", "user": user})
    with Session(engine) as session:
        zones = {
            p.workspace_id: p.tz for p in session.exec(select(Person).where(Person.user_id == "U1"))
        }
    assert zones == {ONE: "Europe/Berlin", TWO: "Asia/Tokyo"}
