"""Who hears a concern: the group-size rule, roll-up, and the leadership group as last stop."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from bot.concerns.audience import LEADERSHIP, Audience, NoAudience, OrgShape, resolve
from bot.org.config import OrgConfig
from storage import queries
from tests.concern_kit import ORG, PEOPLE, WRITER
from tests.conftest import TEAM, seed_org


def org_with(*teams: dict, leaders: list[str] | None = None, min_group: int = 5) -> dict:
    return {
        "timezone": "Europe/Berlin",
        "leaders": ["UCEO"] if leaders is None else leaders,
        "anonymity": {"min_group_size": min_group},
        "teams": list(teams),
    }


def people(*user_ids: str) -> list[dict]:
    return [{"user_id": user_id, "real_name": f"Person {user_id}"} for user_id in user_ids]


def heard_by(engine, clock, user_id: str, choice: str = "manager"):
    with Session(engine) as session:
        config = OrgConfig.model_validate(
            queries.get_workspace(session=session, workspace_id=TEAM).config
        )
        return resolve(
            session, workspace_id=TEAM, config=config, user_id=user_id, choice=choice, now=clock()
        )


@pytest.fixture
def org(engine):
    return seed_org(engine, ORG, PEOPLE)


def test_a_team_of_five_members_keeps_the_concern_with_its_manager(org, engine, clock):
    resolved = heard_by(engine, clock, WRITER)
    assert resolved.audience == Audience.team("platform") and not resolved.rolled_up


def test_a_team_of_four_members_plus_its_manager_rolls_up(org, engine, clock):
    resolved = heard_by(engine, clock, "UM1")
    assert resolved.audience == Audience.team("eng") and resolved.rolled_up


def test_skip_level_counts_everyone_in_the_sub_teams(engine, clock):
    # Engineering has no members of its own: two sub-teams of two, plus their managers.
    seed_org(
        engine,
        org_with(
            {"key": "eng", "name": "Eng", "manager": "UVP", "members": []},
            {"key": "a", "name": "A", "manager": "UA", "members": ["U1", "U2"], "parent": "eng"},
            {"key": "b", "name": "B", "manager": "UB", "members": ["U3", "U4"], "parent": "eng"},
        ),
        people("UCEO", "UVP", "UA", "UB", "U1", "U2", "U3", "U4"),
    )
    with Session(engine) as session:
        assert OrgShape(session, TEAM).group_size("eng") == 6  # U1-U4, UA and UB
    assert heard_by(engine, clock, "U1").audience == Audience.team("eng")
    assert heard_by(engine, clock, "U1", "skip").audience == Audience.team("eng")


def test_the_leadership_group_is_the_last_stop_however_small(engine, clock):
    seed_org(
        engine,
        org_with(
            {"key": "eng", "name": "Eng", "manager": "UVP", "members": ["U1"]},
            {"key": "a", "name": "A", "manager": "UA", "members": ["U2", "U3"], "parent": "eng"},
        ),
        people("UCEO", "UVP", "UA", "U1", "U2", "U3"),
    )
    resolved = heard_by(engine, clock, "U2")
    assert resolved.audience == LEADERSHIP and resolved.rolled_up
    assert heard_by(engine, clock, "U1", "skip").audience == LEADERSHIP  # Eng has no parent
    assert not heard_by(engine, clock, "U2", "leadership").rolled_up


def test_configuration_cannot_go_below_five_but_may_raise_it(engine, clock):
    with pytest.raises(ValidationError, match="at least 5"):
        OrgConfig.model_validate({**ORG, "anonymity": {"min_group_size": 4}})
    seed_org(engine, {**ORG, "anonymity": {"min_group_size": 6}}, PEOPLE)
    assert heard_by(engine, clock, WRITER).audience == Audience.team("eng")


def test_deactivated_members_and_bots_do_not_count(engine, clock):
    gone = [dict(p, deleted=True) if p["user_id"] == "UP5" else p for p in PEOPLE]
    seed_org(engine, ORG, gone)
    assert heard_by(engine, clock, WRITER).audience == Audience.team("eng")


def test_a_deactivated_or_paused_manager_passes_it_to_the_next_level(engine, clock):
    paused = [
        dict(p, paused_until=clock() + timedelta(days=3)) if p["user_id"] == "UMGR" else p
        for p in PEOPLE
    ]
    seed_org(engine, ORG, paused)
    assert heard_by(engine, clock, WRITER).audience == Audience.team("eng")
    clock.set("2026-12-01T12:00:00+00:00")  # the pause is over
    assert heard_by(engine, clock, WRITER).audience == Audience.team("platform")


def test_a_team_whose_manager_leadbot_does_not_know_rolls_up(engine, clock):
    seed_org(engine, ORG, [p for p in PEOPLE if p["user_id"] != "UMGR"])
    assert heard_by(engine, clock, WRITER).audience == Audience.team("eng")


def test_someone_in_no_team_raises_to_the_leadership_group(org, engine, clock):
    assert heard_by(engine, clock, "UNOBODY").audience == LEADERSHIP


def test_with_no_active_leader_a_concern_cannot_be_raised_that_far(engine, clock):
    seed_org(engine, {**ORG, "leaders": []}, PEOPLE)
    with pytest.raises(NoAudience):
        heard_by(engine, clock, WRITER, "leadership")


def sibling_org(count: int) -> tuple[dict, list[dict]]:
    """A root team with `count` sub-teams of six; the writer is in the first."""
    teams = [{"key": "root", "name": "Root", "manager": "UVP", "members": []}]
    users = ["UVP", "UCEO"]
    for n in range(count):
        members = [f"U{n}x{i}" for i in range(6)]
        teams.append(
            {
                "key": f"t{n}",
                "name": f"T{n}",
                "manager": f"UM{n}",
                "members": members,
                "parent": "root",
            }
        )
        users += [f"UM{n}", *members]
    return org_with(*teams), people(*users)


@pytest.mark.parametrize("siblings", [3, 60])
def test_finding_the_audience_reads_no_more_of_a_bigger_org(engine, clock, siblings):
    seed_org(engine, *sibling_org(siblings))
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        mine = heard_by(engine, clock, "U0x0", "manager")
        above = heard_by(engine, clock, "U0x0", "skip")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert mine.audience == Audience.team("t0") and above.audience == Audience.team("root")
    # A few indexed reads, whether 3 sibling teams or 60: counting stops at five people (with
    # 60 sub-team managers, at the root; with 3, one sub-team further down). Then three more
    # each, however big the group: the group recorded with the concern (teams, members, active).
    assert len(statements) <= 18 + 2 * 3, statements
