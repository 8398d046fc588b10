"""`python -m bot export-org`: the stored configuration as an org file that re-imports unchanged."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient
from sqlmodel import Session

from bot.cli import export_file, parser
from bot.org.export import ExportError, choose_workspace, export_org
from bot.setup.importer import run_import
from storage.models import Workspace
from tests.admin_kit import filled, put
from tests.conftest import TEAM
from tests.fakeslack import FakeSlack

ORG = """\
timezone: Europe/Berlin
admins: [U0ADMIN]
leaders: [U0CEO]
leadership_channel: C0LEADERS
objectives:
  - {key: eu-launch, title: Launch in the EU, description: "Three markets: DE, FR, ES"}
  - {key: trust, title: "Be trusted: always", archived: true}
teams:
  - key: engineering
    name: Engineering
    manager: U0CEO
    members: [U0MANAGER]
  - key: platform
    name: Platform
    manager: U0MANAGER
    parent: engineering
    members: [U02, U01, someone@example.com]
    schedule:
      checkin: {day: thu, time: "15:00"}
      reminder_after: 3h
      strategy: {every_weeks: 6, day: wed, time: "11:00"}
      digest: {day: mon, time: "09:30"}
schedule:
  checkin: {day: fri, time: "13:00"}
working_hours: {days: [mon, tue, wed, thu], start: "08:00", end: "16:30"}
anonymity: {min_group_size: 7}
"""


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    for user_id in ("U0ADMIN", "U0CEO", "U0MANAGER", "U01", "U02"):
        slack.add_user(user_id)
    slack.add_user("U03", email="someone@example.com")
    return WebClient(token="xoxb-test-token", base_url=slack.url)


def imported(path: Path, text: str, session: Session, client: WebClient, clock) -> str:
    """What `python -m bot import` prints for `text`."""
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    assert run_import(path, yes=False, session=session, client=client, now=clock(), out=out) == 0
    return out.getvalue()


def test_an_exported_org_file_reimports_with_no_changes(tmp_path, session, client, clock):
    imported(tmp_path / "org.yml", ORG, session, client, clock)
    text = export_org(session, TEAM)
    data = yaml.safe_load(text)
    assert list(data) == [
        "timezone",
        "admins",
        "leaders",
        "objectives",
        "teams",
        "schedule",
        "working_hours",
        "anonymity",
        "retention",
        "leadership_channel",
        "away",
        "days_off",
    ]
    assert data["teams"][1]["members"] == ["U02", "U01", "U03"]
    assert data["teams"][1]["schedule"]["reminder_after"] == "3h"
    assert "parent" not in data["teams"][0] and "schedule" not in data["teams"][0]
    assert data["objectives"][1] == {
        "key": "trust",
        "title": "Be trusted: always",
        "description": "",
        "archived": True,
    }
    again = imported(tmp_path / "exported.yml", text, session, client, clock)
    assert again == "No changes.\n"


def test_an_edit_made_in_slack_shows_up_in_export_org(
    tmp_path, session, client, clock, slack, requests
):
    imported(tmp_path / "org.yml", ORG, session, client, clock)
    requests.action("admin_open_objectives", "objectives", user="U0ADMIN")
    requests.action("admin_objective_add", "add", user="U0ADMIN")
    form = slack.of("views.push")[-1].params["view"]
    requests.submit(form, put(filled(form), "title", value="Grow with care"), user="U0ADMIN")
    session.expire_all()
    text = export_org(session, TEAM)
    assert {
        "key": "grow-with-care",
        "title": "Grow with care",
        "description": "",
        "archived": False,
    } in yaml.safe_load(text)["objectives"]
    assert imported(tmp_path / "exported.yml", text, session, client, clock) == "No changes.\n"


def test_the_cli_prints_only_the_yaml_or_writes_the_file(
    tmp_path, engine, session, client, clock, capsys
):
    imported(tmp_path / "org.yml", ORG, session, client, clock)
    assert parser().parse_args(["export-org", "--out", "x.yml"]).out == "x.yml"
    assert export_file(engine, None, None) == 0
    printed = capsys.readouterr()
    assert yaml.safe_load(printed.out)["teams"][0]["key"] == "engineering"
    assert printed.out == export_org(session, TEAM)
    out = tmp_path / "exported.yml"
    assert export_file(engine, str(out), TEAM) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text(encoding="utf-8") == printed.out


def test_with_several_workspaces_the_cli_asks_which_one(engine, session, capsys):
    with pytest.raises(ExportError, match="no organisation is stored yet"):
        choose_workspace(session, None)
    session.add(Workspace(id="T0001", config={"teams": []}))
    session.add(Workspace(id="T0002", config={"teams": []}))
    session.commit()
    assert export_file(engine, None, None) == 1
    assert "pick one with --workspace" in capsys.readouterr().err
    assert export_file(engine, None, "T0009") == 1
    assert choose_workspace(session, "T0002") == "T0002"
    assert yaml.safe_load(export_org(session, "T0002").split("\n", 2)[2])["teams"] == []
