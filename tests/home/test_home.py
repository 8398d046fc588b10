"""App Home for a member, a manager and an admin; always within 100 blocks."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from bot.home.gather import gather
from bot.home.views import home_view
from storage.models import Checkin, Reflection
from tests.conftest import TEAM, seed_org

OBJECTIVES = [
    {"key": "eu-launch", "title": "Launch in the EU", "description": "Three markets by Q3"},
    {"key": "retention", "title": "Keep customers"},
    {"key": "hiring", "title": "Hire well"},
]
ORG = {
    "timezone": "Europe/Berlin",
    "admins": ["UADMIN"],
    "objectives": OBJECTIVES,
    "teams": [
        {"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2", "U3"]}
    ],
}
PEOPLE = [
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "U1", "real_name": "Ana", "tz": "Europe/Berlin"},
    {"user_id": "U2", "real_name": "Ben", "tz": "Europe/Berlin"},
    {"user_id": "U3", "real_name": "Cem", "tz": "Europe/Berlin"},
    {"user_id": "UADMIN", "real_name": "Ada Admin", "tz": "Europe/Berlin"},
]


@pytest.fixture
def org(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    clock.set("2026-11-27T15:00:00+00:00")  # Friday 16:00 Berlin: W48 is open
    with Session(engine) as session:
        session.add(
            Checkin(
                workspace_id=TEAM,
                user_id="U1",
                period="2026-W48",
                team_key="platform",
                manager_id="UMGR",
                status="answered",
                moved="Shipped <@U2> & co",
                blocked="Waiting on legal",
                energy=2,
                learned="Ask earlier",
            )
        )
        session.add(
            Checkin(
                workspace_id=TEAM,
                user_id="U2",
                period="2026-W48",
                team_key="platform",
                manager_id="UMGR",
                status="answered",
                moved="Fixed the build",
                energy=5,
            )
        )
        session.add(
            Reflection(
                workspace_id=TEAM,
                user_id="U1",
                objective_keys=["eu-launch"],
                how="Payments",
                progress="First market live",
            )
        )
        session.add(
            Reflection(
                workspace_id=TEAM,
                user_id="UMGR",
                objective_keys=["retention"],
                how="I keep the team close to customers",
                progress="Churn down",
            )
        )
        session.commit()


def view_for(engine, user_id, clock, concerns=("concern_raise", "concern_check")):
    with Session(engine) as session:
        data = gather(session, TEAM, user_id, clock())
    return home_view(data, raise_action=concerns[0], check_action=concerns[1])


def text_of(view):
    return json.dumps(view, ensure_ascii=False)


def action_ids(view):
    ids = []
    for block in view["blocks"]:
        if block.get("accessory"):
            ids.append(block["accessory"]["action_id"])
        ids += [e["action_id"] for e in block.get("elements", []) if "action_id" in e]
    return ids


def test_a_member_sees_their_checkin_alignment_objectives_and_what_their_manager_sees(
    org, engine, clock
):
    view = view_for(engine, "U1", clock)
    text = text_of(view)
    assert view["type"] == "home"
    assert "Checked in for 2026-W48" in text and "checkin_edit" in action_ids(view)
    assert "“First market live”" in text  # my alignment
    assert "Launch in the EU" in text and "Three markets by Q3" in text  # objectives
    assert "Maria Manager* on their role: “I keep the team close to customers”" in text
    assert "What my manager sees about me" in text
    assert "Shipped &lt;@U2&gt; &amp; co" in text and "Waiting on legal" in text  # escaped
    assert "Fixed the build" not in text  # only what is about me
    assert "energy" not in text.lower().replace("your energy never appears", "")
    assert {"concern_raise", "concern_check", "strategy_open"} <= set(action_ids(view))
    assert "My team" not in text
    assert not any(id.startswith("admin_open") for id in action_ids(view))


def test_a_manager_sees_the_team_as_a_whole_without_per_person_state(org, engine, clock):
    with Session(engine) as session:
        from storage import queries

        person = queries.get_person(session=session, workspace_id=TEAM, user_id="U3")
        person.paused_until = clock().replace(year=2027)
        session.add(person)
        session.commit()
    view = view_for(engine, "UMGR", clock)
    text = text_of(view)
    assert "My team: Platform" in text
    assert "*2 of 2* have checked in" in text  # U3 is paused, so not expected
    assert "Paused: Cem (until 27 Nov)" in text
    assert "• *Launch in the EU* — 1 of 3" in text
    assert "Nobody connects their role to: Keep customers, Hire well" in text
    for private in ("Waiting on legal", "Fixed the build", "Ana", "Ben"):
        assert private not in text.split("My team")[1]


def test_an_admin_sees_the_setup_buttons(org, engine, clock):
    view = view_for(engine, "UADMIN", clock)
    admin_ids = [id for id in action_ids(view) if id.startswith("admin_open")]
    assert admin_ids == [
        f"admin_open_{part}" for part in ("objectives", "teams", "leaders", "schedule", "questions")
    ]
    assert "gives no access to anyone's answers" in text_of(view)
    assert "checked in for" not in text_of(view).lower()  # not in a team


def test_without_the_concern_surface_there_is_no_concern_button(org, engine, clock):
    view = view_for(engine, "U1", clock, concerns=(None, None))
    assert "concern_raise" not in action_ids(view)


def test_home_stays_within_100_blocks_for_200_members_and_30_objectives(engine, clock):
    objectives = [
        {"key": f"o{i}", "title": f"Objective {i}", "description": "d" * 200} for i in range(30)
    ]
    members = [f"U{i:03d}" for i in range(200)]
    teams = [
        {
            "key": f"t{i}",
            "name": f"Team {i}",
            "manager": "UMGR",
            "members": members[i * 25 : (i + 1) * 25],
        }
        for i in range(8)
    ]
    people = [{"user_id": "UMGR", "real_name": "M", "tz": "Europe/Berlin", "is_admin": True}]
    people += [{"user_id": m, "real_name": f"P {m}", "tz": "Europe/Berlin"} for m in members]
    seed_org(engine, {"objectives": objectives, "teams": teams}, people)
    clock.set("2026-11-27T15:00:00+00:00")
    with Session(engine) as session:
        for index, member in enumerate(members):
            session.add(
                Reflection(
                    workspace_id=TEAM,
                    user_id=member,
                    objective_keys=[f"o{index % 30}"],
                    how="h",
                    progress="p" * 300,
                )
            )
        session.add(
            Reflection(
                workspace_id=TEAM,
                user_id="UMGR",
                objective_keys=[o["key"] for o in objectives],
                how="h",
                progress="p",
            )
        )
        session.commit()
    view = view_for(engine, "UMGR", clock)
    assert len(view["blocks"]) <= 100
    assert all(len(json.dumps(b)) < 4000 for b in view["blocks"])
    elements = [
        e for b in view["blocks"] for e in [*b.get("elements", []), b.get("accessory")] if e
    ]
    see_all = [e["value"] for e in elements if e.get("action_id") == "home_see_all"]
    assert {"objectives", "mine", "teams"} <= set(see_all)


def test_app_home_opened_publishes_the_home_tab(org, slack, requests):
    reply = requests.event(
        {
            "type": "app_home_opened",
            "user": "U1",
            "channel": "D1",
            "tab": "home",
            "event_ts": "1700000000.1",
        }
    )
    assert reply.status == 200
    [publish] = slack.of("views.publish")
    assert publish.params["user_id"] == "U1"
    assert publish.params["view"]["type"] == "home"


def test_see_all_opens_every_objective_in_a_modal(org, slack, requests):
    requests.action("home_see_all", "objectives", user="U1")
    view = slack.of("views.open")[-1].params["view"]
    text = text_of(view)
    assert all(o["title"] in text for o in OBJECTIVES)


def test_on_a_fresh_install_a_slack_admin_finds_the_setup_buttons_in_home(slack, requests):
    slack.add_user("UOWNER", is_owner=True)
    slack.add_user("UPLAIN")
    for user in ("UOWNER", "UPLAIN"):
        requests.event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": "D1",
                "tab": "home",
                "event_ts": f"1700000000.{len(user)}",
            }
        )
    owner, plain = (c.params["view"] for c in slack.of("views.publish"))
    assert "admin_open_objectives" in action_ids(owner)
    assert not any(id.startswith("admin_open") for id in action_ids(plain))


def test_check_in_from_home_refreshes_home_and_a_closed_week_answers_in_a_modal(
    org, engine, clock, slack, requests
):
    requests.home_action("checkin_open", "2026-W48", user="U3")
    view = slack.of("views.open")[-1].params["view"]
    assert json.loads(view["private_metadata"])["home"] is True
    values = {"energy": {"value": {"type": "static_select", "selected_option": {"value": "3"}}}}
    requests.submit(view, values, user="U3")
    assert slack.of("views.publish")[-1].params["user_id"] == "U3"
    clock.set("2026-12-08T12:00:00+00:00")  # long closed: no response_url to answer in
    requests.home_action("checkin_open", "2026-W48", user="U3")
    notice = slack.of("views.open")[-1].params["view"]
    assert "closed" in json.dumps(notice) and "callback_id" not in notice


def test_a_leader_sees_execution_and_the_raised_blockers_theirs_to_answer(
    engine, clock, slack, requests
):
    from bot.digest import raised
    from bot.org.plan import load_config

    seed_org(
        engine, {**ORG, "leaders": ["UCEO"]}, [*PEOPLE, {"user_id": "UCEO", "real_name": "Cleo"}]
    )
    clock.set("2026-11-27T15:00:00+00:00")
    with Session(engine) as session:
        config = load_config(session, TEAM)
        for index in range(8):  # more than Home shows: See all
            row = Checkin(
                workspace_id=TEAM,
                user_id="U1",
                period=f"2026-W{41 + index}",
                team_key="platform",
                manager_id="UMGR",
                status="answered",
                moved="Shipped",
                blocked=f"Blocker number {index}",
                objective_key="eu-launch" if index == 7 else None,
            )
            session.add(row)
            session.commit()
            raised.raise_blocker(
                session,
                config,
                row,
                team_name="Platform",
                objective_key=None,
                note=None,
                tell=False,
                now=clock(),
            )
    view = view_for(engine, "UCEO", clock)
    text = text_of(view)
    assert "Execution this week so far (leaders)" in text
    assert "*Launch in the EU*: moved by 1 this week" in text  # W48, open now
    assert "Raised to leadership: 8 open" in text and "Ana" not in text
    assert action_ids(view).count("raised_answer") == 6
    see_all = [
        e["value"]
        for b in view["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == "home_see_all"
    ]
    assert "raised" in see_all
    requests.action("home_see_all", "raised", user="UCEO")
    assert "Blocker number 7" in text_of(slack.of("views.open")[-1].params["view"])
    requests.action("home_see_all", "raised", user="UMGR")  # not a leader: nothing opens
    assert len(slack.of("views.open")) == 1
    assert "Execution" not in text_of(view_for(engine, "UMGR", clock))
    event = {"type": "app_home_opened", "user": "UCEO", "tab": "home", "event_ts": "1.2"}
    assert requests.event(event).status == 200  # and Slack takes it (the fake checks)
    assert "Raised to leadership: 8 open" in text_of(slack.of("views.publish")[-1].params)
