"""Take your data: the organisation's export (CLI) and each person's (`/leadership export`)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlmodel import Session

from bot.cli import main
from bot.workspace import export
from storage.models import Checkin, Concern, ConcernNote, Reflection
from tests.conftest import TEAM, seed_org

ORG = {
    "timezone": "Europe/Berlin",
    "objectives": [{"key": "eu", "title": "Launch in the EU"}],
    "teams": [
        {"key": "lead", "name": "Leads", "manager": "UBOSS", "members": ["UMGR"]},
        {"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2"]},
    ],
}
PEOPLE = [
    {"user_id": "UBOSS", "real_name": "Bo Boss", "tz": "Europe/Berlin"},
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "U1", "real_name": "Ana", "tz": "Europe/Berlin"},
    {"user_id": "U2", "real_name": "Ben", "tz": "Europe/Berlin"},
]
CONCERN = "The roadmap changes every week"


@pytest.fixture
def org(engine):
    seed_org(engine, ORG, PEOPLE)
    with Session(engine) as session:
        for user, team, manager, energy in (
            ("U1", "platform", "UMGR", 2),
            ("U2", "platform", "UMGR", 5),
            ("U1", "platform", "UOLD", 4),  # W47, when someone else managed the team
            ("UMGR", "lead", "UBOSS", 3),
        ):
            session.add(
                Checkin(
                    workspace_id=TEAM,
                    user_id=user,
                    period="2026-W47" if manager == "UOLD" else "2026-W48",
                    team_key=team,
                    manager_id=manager,
                    status="answered",
                    moved=f"{user} moved",
                    energy=energy,
                    helped_users=["U2"],
                    learned='=HYPERLINK("http://x")',
                )
            )
        session.add(Reflection(workspace_id=TEAM, user_id="U1", objective_keys=["eu"], how="By"))
        concern = Concern(
            workspace_id=TEAM,
            topic="goals",
            text=CONCERN,
            audience_kind="team",
            audience_team="platform",
            code_hash="a" * 64,
            created_on=date(2026, 11, 27),
        )
        session.add(concern)
        session.flush()
        session.add(
            ConcernNote(
                workspace_id=TEAM,
                concern_id=concern.id,
                kind="reply",
                text="We hear you",
                user_id="UMGR",
                created_on=date(2026, 12, 1),
            )
        )
        session.commit()


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_cli_writes_csv_and_json_of_everything_without_energy_or_identity(
    org, engine, database_url, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "export"
    assert main(["export", "--out", str(out)]) == 0
    names = sorted(path.name for path in out.iterdir())
    datasets = ("checkins", "concern_notes", "concerns", "objectives", "raised_blockers")
    datasets += ("reflections", "teams")
    assert names == sorted(f"{d}.{ext}" for d in datasets for ext in ("csv", "json"))
    checkins = json.loads((out / "checkins.json").read_text())
    assert {row["user_id"] for row in checkins} == {"U1", "U2", "UMGR"}
    assert all("energy" not in row for row in checkins)  # DESIGN 5
    assert "energy" not in (out / "checkins.csv").read_text()
    concerns_written = (out / "concerns.json").read_text() + (
        out / "concern_notes.json"
    ).read_text()
    assert CONCERN in concerns_written and "We hear you" in concerns_written
    for identity in ("UMGR", "Maria", "user_id", "a" * 64):
        assert identity not in concerns_written
    assert read_csv((out / "teams.csv").read_text())[1]["members"] == "U1 U2"
    assert "Wrote 14 files" in capsys.readouterr().err


def test_a_cell_a_spreadsheet_would_run_is_quoted_in_csv_not_in_json(org, engine):
    with Session(engine) as session:
        datasets = export.org_export(session, TEAM)
    row = read_csv(export.to_csv("checkins", datasets["checkins"]))[0]
    assert row["learned"] == '\'=HYPERLINK("http://x")'
    assert datasets["checkins"][0]["learned"].startswith("=")


def test_with_several_workspaces_the_cli_asks_which(
    org, engine, database_url, monkeypatch, tmp_path, capsys
):
    seed_org(engine, ORG, PEOPLE, workspace_id="T0002")
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["export", "--out", str(tmp_path / "x")]) == 1
    assert "--workspace" in capsys.readouterr().err
    assert main(["export", "--out", str(tmp_path / "x"), "--workspace", "T0002"]) == 0


def test_a_person_gets_their_own_data_with_energy_by_dm(org, requests, slack):
    requests.command("/leadership", "export", user="U1")
    uploaded = slack.uploads()
    assert sorted(uploaded) == [
        "leadbot-my_checkins.csv",
        "leadbot-my_checkins.json",
        "leadbot-my_reflections.csv",
        "leadbot-my_reflections.json",
    ]
    mine = json.loads(uploaded["leadbot-my_checkins.json"])  # every week, whoever managed
    assert [(row["period"], row["energy"]) for row in mine] == [("2026-W47", 4), ("2026-W48", 2)]
    assert {row["user_id"] for row in mine} == {"U1"}
    [completed] = slack.of("files.completeUploadExternal")
    assert completed.params["channel_id"] == "D1"
    assert "sent your data" in slack.responses()[-1]["text"]


def test_a_manager_also_gets_the_check_ins_written_to_them_without_energy(org, requests, slack):
    requests.command("/leadership", "export", user="UMGR")
    uploaded = slack.uploads()
    team = json.loads(uploaded["leadbot-team_checkins.json"])
    assert {row["user_id"] for row in team} == {"U1", "U2"}  # not their own: that goes up
    assert {row["period"] for row in team} == {"2026-W48"}  # W47 stays with its manager
    assert all("energy" not in row for row in team)
    assert "energy" not in uploaded["leadbot-team_checkins.csv"].decode().splitlines()[0]
    [own] = json.loads(uploaded["leadbot-my_checkins.json"])
    assert own["user_id"] == "UMGR" and own["energy"] == 3
    assert "while you were their manager" in slack.responses()[-1]["text"]


def test_an_upload_that_fails_gets_a_kind_message(org, requests, slack):
    slack.on["files.getUploadURLExternal"] = lambda _params: {"ok": False, "error": "ratelimited"}
    requests.command("/leadership", "export", user="U1")
    assert "couldn't send the files" in slack.responses()[-1]["text"]


def test_help_lists_export_and_forget_me(requests, slack):
    requests.command("/leadership", "help", user="U1")
    text = slack.responses()[-1]["text"]
    assert "/leadership export" in text and "/leadership forget-me" in text
