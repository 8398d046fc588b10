"""`python -m bot import FILE`: resolve people, check schedules, show the diff, apply it once."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.setup.importer import run_import
from storage.models import Checkin, Delivery, Membership, Objective, Person, Team, Workspace
from tests.conftest import TEAM, FakeClock
from tests.fakeslack import FakeSlack

ORG = """\
timezone: Europe/Berlin
admins: [U0ADMIN]
leaders: [U0CEO]
objectives:
  - {key: eu-launch, title: Launch in the EU}
  - {key: trust, title: Be trusted}
teams:
  - key: platform
    name: Platform
    manager: U0MANAGER
    members: [U01, U02, someone@example.com]
"""
TABLES = (Workspace, Person, Team, Membership, Objective, Checkin, Delivery)


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test-token", base_url=slack.url)


@pytest.fixture
def people(slack: FakeSlack) -> FakeSlack:
    for user_id in ("U0ADMIN", "U0CEO", "U0MANAGER", "U01", "U02"):
        slack.add_user(user_id)
    slack.add_user("U03", email="someone@example.com")
    return slack


class Importer:
    """Runs the import of a text written to org.yml, keeping what it printed."""

    def __init__(self, tmp_path: Path, session: Session, client: WebClient, now: datetime) -> None:
        self.path, self.session, self.client, self.now = tmp_path / "org.yml", session, client, now
        self.out = ""

    def __call__(self, text: str, *, yes: bool = False) -> int:
        self.path.write_text(text)
        out = io.StringIO()
        code = run_import(
            self.path, yes=yes, session=self.session, client=self.client, now=self.now, out=out
        )
        self.out = out.getvalue()
        return code

    def problem(self) -> str:
        return self.out.replace(str(self.path), "org.yml")


@pytest.fixture
def run(
    tmp_path: Path, session: Session, client: WebClient, clock: FakeClock, people: FakeSlack
) -> Importer:
    return Importer(tmp_path, session, client, clock())


def snapshot(session: Session) -> dict[str, list[str]]:
    """Every row of every table, to prove that something changed nothing."""
    session.expire_all()
    return {
        table.__name__: sorted(repr(row.model_dump()) for row in session.exec(select(table)))
        for table in TABLES
    }


def pending_nudges(session: Session, user_id: str) -> list[Delivery]:
    return list(
        session.exec(
            select(Delivery).where(
                Delivery.subject == user_id, Delivery.kind == "nudge", Delivery.status == "pending"
            )
        )
    )


def test_a_first_import_stores_the_org_with_ids_and_plans_everyones_nudges(
    run: Importer, session: Session
) -> None:
    assert run(ORG) == 0
    assert '+ workspace T0001 "Acme"' in run.out
    assert '+ team platform "Platform", manager U0MANAGER' in run.out
    assert "+ member U03 to platform" in run.out
    assert '+ objective eu-launch "Launch in the EU"' in run.out
    workspace = session.get(Workspace, TEAM)
    assert workspace is not None
    assert workspace.config["teams"][0]["members"] == ["U01", "U02", "U03"]
    assert workspace.config["leaders"] == ["U0CEO"]
    members = session.exec(select(Membership).order_by(Membership.position)).all()
    assert [(row.user_id, row.position) for row in members] == [("U01", 0), ("U02", 1), ("U03", 2)]
    assert [row.key for row in session.exec(select(Objective).order_by(Objective.position))] == [
        "eu-launch",
        "trust",
    ]
    assert len(session.exec(select(Person)).all()) == 6
    assert {
        row.subject for row in session.exec(select(Delivery).where(Delivery.kind == "nudge"))
    } == {"U01", "U02", "U03", "U0MANAGER"}


def test_an_email_missing_from_users_list_is_resolved_with_lookup_by_email(
    run: Importer, slack: FakeSlack, session: Session
) -> None:
    hidden = slack.add_user("U04")  # users.list hides the e-mail; lookupByEmail finds it
    slack.on["users.lookupByEmail"] = lambda params: (
        {"ok": True, "user": hidden}
        if params["email"] == "hidden@example.com"
        else {"ok": False, "error": "users_not_found"}
    )
    assert run(ORG.replace("someone@example.com", "hidden@example.com")) == 0
    assert [call.params["email"] for call in slack.of("users.lookupByEmail")] == [
        "hidden@example.com"
    ]
    assert [row.user_id for row in session.exec(select(Membership))][-1] == "U04"


def test_an_email_in_users_list_needs_no_lookup(run: Importer, slack: FakeSlack) -> None:
    assert run(ORG) == 0
    assert slack.of("users.lookupByEmail") == []


def test_importing_the_same_file_twice_prints_no_changes_and_writes_nothing(
    run: Importer, session: Session
) -> None:
    assert run(ORG) == 0
    before = snapshot(session)
    assert run(ORG) == 0
    assert run.out == "No changes.\n"
    assert snapshot(session) == before


def test_a_changed_manager_and_schedule_are_shown_and_the_nudges_move(
    run: Importer, session: Session
) -> None:
    run(ORG)
    changed = ORG.replace("U0MANAGER", "U0CEO") + "schedule: {checkin: {day: fri, time: '15:00'}}\n"
    assert run(changed) == 0
    assert "~ team platform: manager U0MANAGER → U0CEO" in run.out
    assert "~ schedule.checkin.time: 14:00 → 15:00" in run.out
    # Friday 15:00 in Berlin is 14:00 UTC.
    due = sorted(row.due_at for row in pending_nudges(session, "U01"))
    assert due[0] == datetime.fromisoformat("2026-11-27T14:00:00+00:00")


def test_removing_a_member_is_refused_without_yes_and_changes_nothing(
    run: Importer, session: Session
) -> None:
    run(ORG)
    before = snapshot(session)
    assert run(ORG.replace("U02, ", "")) == 1
    assert "- member U02 from platform" in run.out
    assert "--yes" in run.out
    assert snapshot(session) == before


def test_with_yes_a_removed_member_keeps_their_history_but_gets_no_more_nudges(
    run: Importer, session: Session
) -> None:
    run(ORG)
    session.add(
        Checkin(
            workspace_id=TEAM,
            user_id="U02",
            period="2026-W47",
            team_key="platform",
            status="answered",
            moved="Shipped it",
        )
    )
    session.commit()
    assert pending_nudges(session, "U02")
    assert run(ORG.replace("U02, ", ""), yes=True) == 0
    session.expire_all()
    assert [row.user_id for row in session.exec(select(Membership))] == ["U01", "U03"]
    assert session.exec(select(Checkin).where(Checkin.user_id == "U02")).one().moved == "Shipped it"
    assert pending_nudges(session, "U02") == []
    assert pending_nudges(session, "U01")


def test_removing_a_team_or_an_objective_also_needs_yes(run: Importer, session: Session) -> None:
    two_teams = ORG + "  - {key: design, name: Design, manager: U0CEO, members: [U0ADMIN]}\n"
    run(two_teams)
    without = ORG.replace("  - {key: trust, title: Be trusted}\n", "")
    assert run(without) == 1
    assert '- team design "Design"' in run.out
    assert "- member U0ADMIN from design" in run.out
    assert '- objective trust "Be trusted"' in run.out
    assert run(without, yes=True) == 0
    session.expire_all()
    assert [row.key for row in session.exec(select(Team))] == ["platform"]
    assert [row.key for row in session.exec(select(Objective))] == ["eu-launch"]
    assert pending_nudges(session, "U0ADMIN") == []


BAD_FILES = [
    ("unknown key", ORG + "colour: blue\n", "colour: blue", "colour: unknown key"),
    (
        "bad time",
        ORG + "schedule:\n  checkin: {day: fri, time: '25:00'}\n",
        "checkin:",
        "schedule.checkin.time: '25:00' is not a time",
    ),
    (
        "unknown weekday",
        ORG + "schedule:\n  digest: {day: someday, time: '10:00'}\n",
        "digest:",
        "schedule.digest.day: 'someday' is not a weekday",
    ),
    (
        "duplicate yaml key",
        ORG + "timezone: Asia/Tokyo\n",
        "Asia/Tokyo",
        "timezone: this key is given twice (first on line 1)",
    ),
    (
        "duplicate team key",
        ORG + "  - {key: platform, name: Again, manager: U0CEO}\n",
        "Again",
        "teams[1].key: 'platform' is already the key of teams[0]",
    ),
    (
        "unresolvable e-mail",
        ORG.replace("someone@", "nobody@"),
        "nobody@",
        "teams[0].members[2]: no one in this workspace has the e-mail nobody@example.com",
    ),
    (
        "unknown user id",
        ORG.replace("U0CEO", "U0NOBODY"),
        "U0NOBODY",
        "leaders[0]: U0NOBODY is not a person in this workspace",
    ),
    (
        "time before four",
        ORG + "schedule: {digest: {day: mon, time: '02:00'}}\n",
        "02:00",
        "schedule.digest.time: 02:00 is refused",
    ),
    (
        "small anonymity group",
        ORG + "anonymity: {min_group_size: 4}\n",
        "min_group_size",
        "anonymity.min_group_size: must be at least 5",
    ),
    (
        "other workspace",
        "workspace: T0OTHER\n" + ORG,
        "workspace:",
        "workspace: is T0OTHER, but the bot token belongs to workspace T0001",
    ),
]


@pytest.mark.parametrize(
    ("text", "marker", "expected"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_a_bad_file_is_refused_naming_line_and_key_and_nothing_changes(
    run: Importer, session: Session, text: str, marker: str, expected: str
) -> None:
    run(ORG)
    before = snapshot(session)
    assert run(text) == 2
    line = next(number for number, row in enumerate(text.splitlines(), 1) if marker in row)
    assert f"org.yml:{line} {expected}" in run.problem()
    assert "Nothing was changed." in run.out
    assert snapshot(session) == before


def test_a_check_in_that_would_open_after_the_digest_for_a_member_is_refused(
    run: Importer, slack: FakeSlack, session: Session
) -> None:
    manager: dict[str, Any] = next(user for user in slack.users if user["id"] == "U0MANAGER")
    manager["tz"] = "Pacific/Auckland"
    slack.add_user("U05", tz="America/Los_Angeles")
    # Sunday 14:00 in Los Angeles is Monday 11:00 in Auckland, after the 09:00 digest there.
    text = ORG.replace("U02,", "U02, U05,") + (
        "schedule:\n  checkin: {day: sun, time: '14:00'}\n  digest: {day: mon, time: '09:00'}\n"
    )
    assert run(text) == 2
    assert 'org.yml:12 schedule: team "platform": the check-in (sun 14:00)' in run.problem()
    assert "Pacific/Auckland" in run.out and "for people in America/Los_Angeles" in run.out
    assert snapshot(session)["Workspace"] == []


def test_a_bot_cannot_be_a_team_member(run: Importer, slack: FakeSlack) -> None:
    slack.add_user("U0BOT", is_bot=True)
    assert run(ORG.replace("U02,", "U02, U0BOT,")) == 2
    assert "org.yml:11 teams[0].members[2]: U0BOT is a bot" in run.problem()


def test_people_from_another_organisation_cannot_be_named(run: Importer, slack: FakeSlack) -> None:
    slack.add_user("UGUEST", team_id="T0OTHER", email="guest@partner.example")
    assert run(ORG.replace("U0CEO", "guest@partner.example")) == 2
    assert "leaders[0]: guest@partner.example belongs to another organisation" in run.out


# --- bombs (issue 17) -------------------------------------------------------------

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LAUGHS, "org.yml:2 uses a YAML alias (*a); org files may not use aliases"),
        ("teams: &t [*t]\n", "org.yml:1 uses a YAML alias (*t)"),
        (ORG.replace("teams:", "x: &x {a: 1}\ny: *x\nteams:"), "uses a YAML alias (*x)"),
        ("teams: " + "[" * 30 + "]" * 30 + "\n", "org.yml:1 nests deeper than 20 levels"),
        ("# " + "x" * (1024 * 1024) + "\n" + ORG, "bytes; an org file may be at most 1 MiB"),
    ],
    ids=["billion laughs", "recursive alias", "any alias", "deep", "over 1 MiB"],
)
def test_a_yaml_bomb_is_refused_in_one_line_and_nothing_changes(
    run: Importer, session: Session, text: str, expected: str
) -> None:
    run(ORG)
    before = snapshot(session)
    assert run(text) == 2
    problems = run.problem().splitlines()
    assert len(problems) == 2 and expected in problems[0], problems
    assert problems[1] == "Nothing was changed."
    assert snapshot(session) == before
