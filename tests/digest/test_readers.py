"""Who reads a check-in or a reflection is fixed when it is written (issue 17, holes 1 and 2).

A member of two teams writes to one; a new manager reads from their first period, the previous
manager keeps what was said to them; and a Reply privately value is a random ref that only the
manager recorded on the check-in can use.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.checkin.views import Answer
from bot.digest import delivery as digests
from bot.digest.views import as_text
from bot.home.gather import gather
from bot.org.plan import load_config, plan_for
from bot.outbox.sender import Sender
from bot.strategy import rules as strategy
from storage import queries
from storage.models import Checkin, Team, Workspace
from tests.conftest import TEAM, seed_org

WEEK = "2026-W48"
ORG = {
    "timezone": "Europe/Berlin",
    "leaders": ["UCEO"],
    "objectives": [{"key": "eu-launch", "title": "Launch in the EU"}],
    "teams": [
        {"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2", "UTWO"]},
        {"key": "design", "name": "Design", "manager": "UDES", "members": ["D1", "D2", "UTWO"]},
    ],
}
PEOPLE = [
    {"user_id": u, "real_name": f"Person {u}", "tz": "Europe/Berlin"}
    for u in ["UCEO", "UMGR", "UDES", "UNEW", "U1", "U2", "UTWO", "D1", "D2"]
]


@pytest.fixture
def org(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    clock.set("2026-11-26T12:00:00+00:00")  # Thursday of W48
    return engine


def answer(engine, clock, user_id: str, moved: str, blocked: str | None = None) -> Checkin:
    """A check-in stored the way the app stores one: under the person's plan of now."""
    with Session(engine) as session:
        plan = plan_for(session, TEAM, user_id)
        assert plan is not None
        row = checkins.record_answer(
            session,
            plan,
            WEEK,
            Answer(moved=moved, blocked=blocked, energy=3),
            late=False,
            now=clock(),
        )
        session.refresh(row)
        session.expunge(row)
        return row


def reflect(engine, clock, user_id: str, progress: str) -> None:
    with Session(engine) as session:
        plan = plan_for(session, TEAM, user_id)
        strategy.record(
            session,
            plan,
            objective_keys=["eu-launch"],
            other=None,
            how="My role",
            progress=progress,
            help=None,
            phrasing=0,
            now=clock(),
        )


def digest_text(engine, manager: str, team_key: str) -> str:
    with Session(engine) as session:
        config = load_config(session, TEAM)
        team = queries.get_team(session=session, workspace_id=TEAM, key=team_key)
        composed = digests.compose_manager(
            session, config, TEAM, manager, WEEK, digest_at=None, teams=[team]
        )
    return as_text(composed.blocks)


def change_manager(engine, team_key: str, manager: str) -> None:
    """What an org file import or App Home does to a team's manager."""
    with Session(engine) as session:
        team = session.exec(select(Team).where(Team.key == team_key)).one()
        team.manager_id = manager
        workspace = session.get(Workspace, TEAM)
        config = json.loads(json.dumps(workspace.config))
        for entry in config["teams"]:
            if entry["key"] == team_key:
                entry["manager"] = manager
        workspace.config = config
        session.add_all([team, workspace])
        session.commit()


def reply_values(slack, channel: str) -> list[str]:
    """The values of every Reply privately button: beside a quote, or under a blocker."""
    return [
        element["value"]
        for call in slack.of("chat.postMessage")
        if call.params["channel"] == channel
        for block in call.params.get("blocks") or []
        for element in [block.get("accessory", {}), *block.get("elements", [])]
        if element.get("action_id") == "digest_reply"
    ]


# --- a member of two teams ---------------------------------------------------------


def test_a_member_of_two_teams_writes_to_their_check_in_team_only(org, clock):
    row = answer(org, clock, "UTWO", "Shipped the two-team thing", blocked="Waiting on design")
    answer(org, clock, "D1", "Drew the icons")
    assert (row.team_key, row.manager_id) == ("platform", "UMGR")  # recorded when written

    mine = digest_text(org, "UMGR", "platform")
    assert "Shipped the two-team thing" in mine and "Waiting on design" in mine
    theirs = digest_text(org, "UDES", "design")
    assert "Drew the icons" in theirs
    assert "two-team" not in theirs and "Waiting on design" not in theirs


def test_the_second_managers_preview_and_home_do_not_carry_the_words(org, clock, slack, requests):
    answer(org, clock, "UTWO", "Shipped the two-team thing")
    answer(org, clock, "D1", "Drew the icons")
    clock.set("2026-11-28T10:00:00+00:00")
    requests.command("/leadership", "digest", user="UDES")
    [preview] = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "UDES"]
    text = json.dumps(preview.params["blocks"])
    assert "Drew the icons" in text and "two-team" not in text
    with Session(org) as session:
        home = gather(session, TEAM, "UDES", clock())
    [design] = home.teams
    assert design.answered == 1  # D1's; UTWO's check-in was written to Platform


def test_the_cli_digest_of_the_second_team_leaves_the_words_out(org, clock, database_url, tmp_path):
    answer(org, clock, "UTWO", "Shipped the two-team thing")
    answer(org, clock, "D1", "Drew the icons")
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url}
    run = [sys.executable, "-m", "bot", "digest", "--team", "design", "--period", WEEK]
    done = subprocess.run(run, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Drew the icons" in done.stdout and "two-team" not in done.stdout


def test_reflections_reach_only_the_team_and_manager_they_were_said_to(org, clock):
    answer(org, clock, "U1", "Shipped it")  # a digest with nobody checked in says only that
    answer(org, clock, "D1", "Drew the icons")
    reflect(org, clock, "UTWO", "The EU checkout live")
    reflect(org, clock, "D1", "EU fonts ready")
    assert "The EU checkout live" in digest_text(org, "UMGR", "platform")
    design = digest_text(org, "UDES", "design")
    assert "EU fonts ready" in design and "The EU checkout live" not in design


# --- a manager replaced ------------------------------------------------------------


def test_a_new_manager_reads_from_their_first_period_and_the_old_one_keeps_theirs(
    org, clock, app, slack, requests
):
    answer(org, clock, "U1", "Shipped it", blocked="Stuck on legal")
    with Session(org) as session:
        checkins.replan(session, TEAM, ["UMGR", "U1", "U2", "UTWO"], clock())
        session.commit()
    clock.set("2026-11-30T09:00:00+00:00")  # Monday: the digest goes to UMGR
    Sender(org, lambda _w: app.client, clock).drain()
    [ref] = [v for v in reply_values(slack, "UMGR") if v.endswith(":blocked")]

    change_manager(org, "platform", "UNEW")
    assert "Stuck on legal" not in digest_text(org, "UNEW", "platform")

    requests.action("digest_reply", ref, user="UNEW")  # the new manager replays the button
    refused = slack.of("views.open")[-1].params["view"]
    assert "Only the manager" in json.dumps(refused)
    assert "Stuck on legal" not in json.dumps(refused)

    requests.action("digest_reply", ref, user="UMGR")  # it was said to UMGR: it stays theirs
    view = slack.of("views.open")[-1].params["view"]
    assert view["callback_id"] == "digest_reply_modal" and "Stuck on legal" in json.dumps(view)
    values = {"reply": {"value": {"type": "plain_text_input", "value": "On it"}}}
    assert requests.submit(view, values, user="UMGR").status == 200
    assert [c for c in slack.of("chat.postMessage") if c.params["channel"] == "U1"]

    with Session(org) as session:  # what U1's new manager sees about them: not the old week
        home = gather(session, TEAM, "U1", clock())
    assert home.about_me is None or not home.about_me.blockers


# --- guessed and replayed values ---------------------------------------------------


def test_guessed_and_replayed_reply_values_are_refused_and_nothing_is_sent(
    org, clock, slack, requests
):
    row = answer(org, clock, "U1", "Shipped it", blocked="Stuck on legal")
    other = answer(org, clock, "D1", "Drew the icons", blocked="No fonts")
    seed_org(org, ORG, [], workspace_id="T0OTHER")
    with Session(org) as session:
        elsewhere = Checkin(
            workspace_id="T0OTHER",
            user_id="U1",
            period=WEEK,
            team_key="platform",
            manager_id="UMGR",
            status="answered",
            blocked="Other workspace's words",
        )
        session.add(elsewhere)
        session.commit()
        session.refresh(elsewhere)
    assert row.ref != str(row.id) and len(row.ref) >= 22
    guesses = [
        f"{row.id}:blocked",  # a row id, as the value used to be
        f"{other.ref}:blocked",  # a real ref, of a check-in written to another manager
        f"{elsewhere.ref}:blocked",  # a real ref, in another workspace
        f"{row.ref}:energy",  # a field nobody quotes
        f"{row.ref[:-1]}x:blocked",
    ]
    for value in guesses:
        requests.action("digest_reply", value, user="UMGR")
        view = slack.of("views.open")[-1].params["view"]
        assert "Only the manager" in json.dumps(view), value
        for words in ("Stuck on legal", "No fonts", "Other workspace"):
            assert words not in json.dumps(view)
    # a submission forged with the metadata of someone else's check-in changes nothing
    forged = {
        "type": "modal",
        "callback_id": "digest_reply_modal",
        "private_metadata": json.dumps({"ref": f"{other.ref}:blocked"}),
        "blocks": [
            {
                "type": "input",
                "block_id": "reply",
                "label": {"type": "plain_text", "text": "Reply"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
    }
    values = {"reply": {"value": {"type": "plain_text_input", "value": "Gotcha"}}}
    reply = requests.submit(forged, values, user="UMGR")
    assert reply.status == 200 and reply.json()["response_action"] == "errors"
    assert not [c for c in slack.of("chat.postMessage") if c.params["channel"] == "D1"]
