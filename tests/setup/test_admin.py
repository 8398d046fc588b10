"""Setup inside Slack: admins change objectives, teams, leaders and the schedule in modals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.org.config import ObjectiveSpec, OrgConfig, TeamSpec
from bot.setup import schedule_views, views
from storage.models import Delivery, Membership, Objective, Person, Reflection, Team, Workspace
from tests.admin_kit import filled, local_times, opened, pick, put, rows, snapshot
from tests.conftest import TEAM, seed_org
from tests.fakeslack import FakeSlack
from tests.slackreq import SlackRequests

ORG = {
    "timezone": "Europe/Berlin",
    "admins": ["UADMIN"],
    "leaders": ["UCEO"],
    "objectives": [
        {"key": "eu-launch", "title": "Launch in the EU", "description": "Three markets"},
        {"key": "trust", "title": "Be trusted"},
    ],
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2"]}],
}
PEOPLE = ["UADMIN", "UCEO", "UMGR", "U1", "U2", "USLACK", "UNOBODY"]


@pytest.fixture
def org(engine, slack: FakeSlack, clock) -> None:
    seed_org(engine, ORG, [{"user_id": u, "real_name": u, "tz": "Europe/Berlin"} for u in PEOPLE])
    for user_id in PEOPLE:
        slack.add_user(user_id, is_admin=user_id == "USLACK")
    slack.add_user("U3")  # in Slack, not yet known to leadbot
    slack.add_user("U4", tz="Asia/Kolkata")
    slack.add_user("UBOT", is_bot=True, real_name="Deploy bot")
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["UMGR", "U1", "U2"], clock())
        session.commit()


def objective_form(requests: SlackRequests, slack: FakeSlack, user: str, key: str = "") -> dict:
    requests.action("admin_open_objectives", "objectives", user=user)
    if key:
        requests.action(views.OBJECTIVE_EDIT, key, user=user)
    else:
        requests.action(views.OBJECTIVE_ADD, "add", user=user)
    return opened(slack, "views.push")


def test_a_non_admin_pressing_an_admin_button_is_told_only_admins_can_and_nothing_changes(
    org, engine, slack, requests
):
    before = snapshot(engine)
    for part in ("objectives", "teams", "leaders", "schedule"):
        requests.action(f"admin_open_{part}", part, user="UNOBODY")
        view = slack.of("views.open")[-1].params["view"]
        assert view["callback_id"] == views.REFUSED
        assert "Only admins can change leadbot's setup" in json.dumps(view)
    requests.action(views.OBJECTIVE_ADD, "add", user="UNOBODY")
    assert slack.of("views.push")[-1].params["view"]["callback_id"] == views.REFUSED
    assert snapshot(engine) == before


def test_a_non_admin_submitting_a_setup_form_is_refused_inline_and_nothing_changes(
    org, engine, requests
):
    before = snapshot(engine)
    form = views.objective_form(None)
    reply = requests.submit(form, put(filled(form), "title", value="Sneaky"), user="UNOBODY")
    assert reply.json()["response_action"] == "errors"
    assert "Only admins" in reply.json()["errors"]["title"]
    schedule = schedule_views.schedule_modal(OrgConfig.model_validate(ORG))
    reply = requests.submit(schedule, filled(schedule), user="UNOBODY")
    assert "Only admins" in reply.json()["errors"]["checkin_time"]
    assert snapshot(engine) == before


def test_only_an_existing_objective_can_be_archived_in_its_form(org, requests, slack):
    def block_ids(form: dict) -> list[str]:
        return [block.get("block_id", "") for block in form["blocks"]]

    assert "archived" not in block_ids(objective_form(requests, slack, "UADMIN"))
    assert "archived" in block_ids(objective_form(requests, slack, "UADMIN", key="eu-launch"))


def test_a_listed_admin_adds_an_objective_and_everyone_is_reasked_once(
    org, engine, slack, requests
):
    form = objective_form(requests, slack, "UADMIN")
    assert form["callback_id"] == views.OBJECTIVE_FORM
    values = put(filled(form), "title", value="Use AI well")
    reply = requests.submit(form, put(values, "description", value="Where it helps"), user="UADMIN")
    assert reply.status == 200 and reply.body == ""
    [row] = rows(engine, Objective, key="use-ai-well")
    assert (row.title, row.description, row.archived, row.position) == (
        "Use AI well",
        "Where it helps",
        False,
        2,
    )
    assert sorted(r.subject for r in rows(engine, Delivery, kind="reask")) == ["U1", "U2", "UMGR"]
    again = objective_form(requests, slack, "UADMIN")
    requests.submit(again, put(filled(again), "title", value="Use AI well"), user="UADMIN")
    assert [r.key for r in rows(engine, Objective)][-1] == "use-ai-well-2"
    assert len(rows(engine, Delivery, kind="reask")) == 3  # once, not once per change
    update = slack.of("views.update")[-1].params
    assert update["view_id"] == "VROOT" and "Use AI well" in json.dumps(update["view"])
    assert slack.of("views.publish")[-1].params["user_id"] == "UADMIN"


def test_a_slack_admin_renames_then_archives_an_objective_reasking_only_who_named_it(
    org, engine, slack, requests, clock
):
    with Session(engine) as session:
        session.add(
            Reflection(
                workspace_id=TEAM,
                user_id="U1",
                objective_keys=["eu-launch"],
                how="x",
                progress="y",
                created_at=clock(),
            )
        )
        session.commit()
    form = objective_form(requests, slack, "USLACK", key="eu-launch")
    assert slack.of("users.info")[-1].params["user"] == "USLACK"
    requests.submit(form, put(filled(form), "title", value="Launch in Europe"), user="USLACK")
    [row] = rows(engine, Objective, key="eu-launch")
    assert row.title == "Launch in Europe" and row.description == "Three markets"
    [reask] = rows(engine, Delivery, kind="reask")
    assert reask.subject == "U1" and "renamed: Launch in Europe" in reask.note
    # Monday 30 Nov 09:00 in Berlin: the next working morning after Friday noon.
    assert reask.due_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    form = objective_form(requests, slack, "USLACK", key="eu-launch")
    archived = put(filled(form), "archived", selected_options=[pick("archived")])
    requests.submit(form, archived, user="USLACK")
    assert rows(engine, Objective, key="eu-launch")[0].archived is True
    assert len(rows(engine, Delivery, kind="reask")) == 1


def test_an_objective_needs_a_title_and_a_short_one(org, engine, slack, requests):
    before = snapshot(engine)
    form = objective_form(requests, slack, "UADMIN")
    reply = requests.submit(form, put(filled(form), "title", value="  "), user="UADMIN")
    assert reply.json()["errors"] == {"title": "Please fill this in."}
    reply = requests.submit(form, put(filled(form), "title", value="x" * 151), user="UADMIN")
    assert reply.json()["errors"] == {"title": "Please keep this under 150 characters."}
    assert snapshot(engine) == before


def team_form(requests: SlackRequests, slack: FakeSlack, key: str = "") -> dict[str, Any]:
    requests.action("admin_open_teams", "teams", user="UADMIN")
    if key:
        requests.action(views.TEAM_EDIT, key, user="UADMIN")
    else:
        requests.action(views.TEAM_CREATE, "create", user="UADMIN")
    return opened(slack, "views.push")


def test_an_admin_creates_a_team_with_manager_members_and_parent_and_its_nudges_are_planned(
    org, engine, slack, requests
):
    form = team_form(requests, slack)
    values = put(filled(form), "name", value="Mobile Apps")
    values = put(values, "manager", selected_user="U2")
    values = put(values, "members", selected_users=["U3", "U4"])
    values = put(values, "parent", selected_option=pick("platform"))
    reply = requests.submit(form, values, user="UADMIN")
    assert reply.body == ""
    [team] = rows(engine, Team, key="mobile-apps")
    assert (team.name, team.manager_id, team.parent_key) == ("Mobile Apps", "U2", "platform")
    assert [m.user_id for m in rows(engine, Membership, team_key="mobile-apps")] == ["U3", "U4"]
    assert rows(engine, Person, user_id="U4")[0].tz == "Asia/Kolkata"  # stored from users.info
    nudged = {r.subject for r in rows(engine, Delivery, kind="nudge", status="pending")}
    assert {"U3", "U4"} <= nudged
    assert local_times(engine, "U4", "Asia/Kolkata") == {"Fri 14:00"}


def test_the_parent_choices_leave_out_the_team_itself_and_the_teams_below_it():
    teams = [
        TeamSpec(key="eng", name="Engineering", manager="U0"),
        TeamSpec(key="platform", name="Platform", manager="U1", parent="eng"),
        TeamSpec(key="infra", name="Infra", manager="U2", parent="platform"),
        TeamSpec(key="sales", name="Sales", manager="U3"),
    ]
    form = views.team_form(teams[1], teams)
    [parent] = [b for b in form["blocks"] if b.get("block_id") == "parent"]
    assert [o["value"] for o in parent["element"]["options"]] == [views.NO_PARENT, "eng", "sales"]
    assert parent["element"]["initial_option"]["value"] == "eng"


def test_a_bot_or_a_taken_key_is_refused_inline_and_nothing_changes(org, engine, slack, requests):
    before = snapshot(engine)
    form = team_form(requests, slack)
    values = put(filled(form), "name", value="Robots")
    values = put(values, "manager", selected_user="UMGR")
    reply = requests.submit(form, put(values, "members", selected_users=["UBOT"]), user="UADMIN")
    assert reply.json()["errors"] == {"members": "Deploy bot is a bot, not a person."}
    reply = requests.submit(form, put(values, "key", value="platform"), user="UADMIN")
    assert "already has the key platform" in reply.json()["errors"]["key"]
    reply = requests.submit(form, put(values, "key", value="no spaces"), user="UADMIN")
    assert "letters, digits" in reply.json()["errors"]["key"]
    assert snapshot(engine) == before


def test_removing_a_member_in_slack_stops_their_nudges_and_keeps_their_history(
    org, engine, slack, requests
):
    with Session(engine) as session:
        session.add(Reflection(workspace_id=TEAM, user_id="U2", how="x", progress="y"))
        session.commit()
    form = team_form(requests, slack, key="platform")
    assert "Team schedule" in json.dumps(form)
    requests.submit(form, put(filled(form), "members", selected_users=["U1"]), user="UADMIN")
    assert [m.user_id for m in rows(engine, Membership)] == ["U1"]
    assert rows(engine, Delivery, subject="U2", status="pending") == []
    assert rows(engine, Delivery, subject="U1", kind="nudge", status="pending")
    assert len(rows(engine, Reflection, user_id="U2")) == 1


def schedule_form(requests: SlackRequests, slack: FakeSlack) -> dict[str, Any]:
    requests.action("admin_open_schedule", "schedule", user="UADMIN")
    return opened(slack)


def test_changing_the_check_in_time_moves_everyones_nudges(org, engine, slack, requests):
    form = schedule_form(requests, slack)
    assert len(form["blocks"]) <= 100
    reply = requests.submit(
        form, put(filled(form), "checkin_time", selected_time="15:00"), user="UADMIN"
    )
    assert reply.body == ""
    # Friday 15:00 in Berlin is 14:00 UTC.
    due = sorted(r.due_at for r in rows(engine, Delivery, kind="nudge", subject="U1"))
    assert due[0] == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    with Session(engine) as session:
        config = session.get(Workspace, TEAM).config
    assert config["schedule"]["checkin"] == {"day": "fri", "time": "15:00"}


def test_an_unchanged_schedule_form_changes_nothing(org, engine, slack, requests):
    before = snapshot(engine)
    form = schedule_form(requests, slack)
    assert requests.submit(form, filled(form), user="UADMIN").body == ""
    assert snapshot(engine) == before


def test_a_min_group_size_below_five_is_refused_inline(org, engine, slack, requests):
    before = snapshot(engine)
    form = schedule_form(requests, slack)
    reply = requests.submit(form, put(filled(form), "min_group_size", value="4"), user="UADMIN")
    assert reply.json()["response_action"] == "errors"
    assert "at least 5" in reply.json()["errors"]["min_group_size"]
    reply = requests.submit(form, put(filled(form), "timezone", value="Mars/Base"), user="UADMIN")
    assert "not an IANA time zone" in reply.json()["errors"]["timezone"]
    assert snapshot(engine) == before


def test_a_schedule_opening_the_check_in_after_the_digest_is_refused_inline(
    org, engine, slack, requests
):
    with Session(engine) as session:
        for person in session.exec(select(Person)):
            person.tz = {"UMGR": "Pacific/Auckland", "U2": "America/Los_Angeles"}.get(
                person.user_id, person.tz
            )
            session.add(person)
        session.commit()
    before = snapshot(engine)
    form = schedule_form(requests, slack)
    values = put(filled(form), "checkin_day", selected_option=pick("sun"))
    values = put(values, "digest_time", selected_time="09:00")
    reply = requests.submit(form, values, user="UADMIN")
    error = reply.json()["errors"]["checkin_time"]
    assert "For Platform, the check-in (Sunday 14:00) would open" in error
    assert "Pacific/Auckland" in error and "America/Los_Angeles" in error
    assert snapshot(engine) == before


def test_a_team_gets_its_own_schedule_and_can_go_back_to_the_organisations(
    org, engine, slack, requests
):
    team_form(requests, slack, key="platform")
    requests.action(views.TEAM_SCHEDULE, "platform", user="UADMIN")
    form = {**opened(slack, "views.push"), "previous_view_id": "VTEAM"}
    assert json.loads(form["private_metadata"]) == {"team": "platform"}
    values = put(filled(form), "follow", selected_option=pick("own"))
    requests.submit(form, put(values, "checkin_day", selected_option=pick("thu")), user="UADMIN")
    [team] = rows(engine, Team, key="platform")
    assert team.schedule["checkin"] == {"day": "thu", "time": "14:00"}
    assert local_times(engine, "U1", "Europe/Berlin") == {"Thu 14:00"}
    updated = {c.params["view_id"]: c.params["view"] for c in slack.of("views.update")}
    assert "This team follows its own schedule" in json.dumps(updated["VTEAM"])
    requests.submit(form, put(values, "follow", selected_option=pick("org")), user="UADMIN")
    assert rows(engine, Team, key="platform")[0].schedule is None


def test_an_admin_sets_leaders_admins_and_the_leadership_channel(org, engine, slack, requests):
    slack.channel_members["C0LEADERS"] = {"UCEO", "U3", "UBOT"}  # only leaders read it
    requests.action("admin_open_leaders", "leaders", user="UADMIN")
    form = opened(slack)
    values = put(filled(form), "leaders", selected_users=["UCEO", "U3"])
    values = put(values, "admins", selected_users=["UADMIN", "U1"])
    values = put(values, "channel", selected_conversation="C0LEADERS")
    assert requests.submit(form, values, user="UADMIN").body == ""
    with Session(engine) as session:
        config = session.get(Workspace, TEAM).config
    assert (config["leaders"], config["admins"], config["leadership_channel"]) == (
        ["UCEO", "U3"],
        ["UADMIN", "U1"],
        "C0LEADERS",
    )
    requests.action("admin_open_objectives", "objectives", user="U1")  # now an admin by the list
    assert slack.of("views.open")[-1].params["view"]["callback_id"] == views.OBJECTIVES


def test_a_workspace_can_be_set_up_in_slack_without_any_org_file(engine, slack, requests):
    slack.add_user("UOWNER", is_owner=True)
    slack.add_user("U1")
    requests.action("admin_open_teams", "teams", user="UOWNER")
    requests.action(views.TEAM_CREATE, "create", user="UOWNER")
    form = opened(slack, "views.push")
    values = put(filled(form), "name", value="Everyone")
    values = put(values, "manager", selected_user="UOWNER")
    assert (
        requests.submit(form, put(values, "members", selected_users=["U1"]), user="UOWNER").body
        == ""
    )
    [workspace] = rows(engine, Workspace)
    assert workspace.name == "Acme" and workspace.config["teams"][0]["key"] == "everyone"
    assert rows(engine, Delivery, kind="nudge", subject="U1")


def test_long_lists_stay_within_slacks_limits_and_say_what_is_not_shown():
    objectives = [ObjectiveSpec(key=f"o{n}", title=f"Objective {n}") for n in range(60)]
    view = views.objectives_modal(objectives)
    assert len(view["blocks"]) <= 100
    assert "… and 20 more" in json.dumps(view, ensure_ascii=False)
    teams = [TeamSpec(key=f"t{n}", name=f"Team <{n}>", manager="U1") for n in range(45)]
    view = views.teams_modal(teams)
    assert len(view["blocks"]) <= 100 and "Team &lt;0&gt;" in json.dumps(view)
    assert "… and 5 more" in json.dumps(view, ensure_ascii=False)
