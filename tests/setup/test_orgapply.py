"""One path from a new configuration to the database: re-plans and re-asks for import and Slack."""

from __future__ import annotations

import io
from pathlib import Path

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.org.config import OrgConfig
from bot.org.diff import load_stored
from bot.setup.apply import objective_changes
from bot.setup.importer import run_import
from storage.models import Delivery, Reflection
from tests.conftest import TEAM, seed_org
from tests.fakeslack import FakeSlack

ORG = """\
objectives:
  - {key: eu-launch, title: Launch in the EU}
  - {key: trust, title: Be trusted}
teams:
  - {key: platform, name: Platform, manager: U0MANAGER, members: [U01, U02]}
"""


def reasks(session: Session) -> list[Delivery]:
    session.expire_all()
    return list(session.exec(select(Delivery).where(Delivery.kind == "reask")))


def test_an_import_that_retitles_an_objective_reasks_who_named_it_once(
    tmp_path: Path, session: Session, slack: FakeSlack, clock
) -> None:
    for user_id in ("U0MANAGER", "U01", "U02"):
        slack.add_user(user_id)
    client = WebClient(token="xoxb-test-token", base_url=slack.url)
    path = tmp_path / "org.yml"

    def run(text: str) -> None:
        path.write_text(text)
        assert (
            run_import(
                path, yes=True, session=session, client=client, now=clock(), out=io.StringIO()
            )
            == 0
        )

    run(ORG)
    assert reasks(session) == []  # a first import asks nobody again
    session.add(
        Reflection(
            workspace_id=TEAM,
            user_id="U01",
            objective_keys=["eu-launch"],
            how="x",
            progress="y",
            created_at=clock(),
        )
    )
    session.commit()
    run(ORG.replace("Launch in the EU", "Launch in Europe"))
    [row] = reasks(session)
    assert row.subject == "U01" and "renamed: Launch in Europe" in (row.note or "")
    run(ORG.replace("Launch in the EU", "Launch in Europe again"))
    assert len(reasks(session)) == 1


def test_objective_changes_name_added_retitled_archived_and_removed(engine, session) -> None:
    seed_org(
        engine,
        {
            "objectives": [
                {"key": "a", "title": "A"},
                {"key": "b", "title": "B"},
                {"key": "c", "title": "C", "archived": True},
                {"key": "d", "title": "D"},
                {"key": "e", "title": "E"},
            ],
            "teams": [],
        },
        [],
    )
    new = OrgConfig.model_validate(
        {
            "objectives": [
                {"key": "a", "title": "A2"},
                {"key": "b", "title": "B", "archived": True},
                {"key": "c", "title": "C"},
                {"key": "e", "title": "E", "description": "only the description changed"},
                {"key": "f", "title": "F"},
                {"key": "g", "title": "G", "archived": True},
            ],
            "teams": [],
        }
    )
    changes = objective_changes(load_stored(session, TEAM), new)
    assert [(c.key, c.change) for c in changes] == [
        ("a", "retitled"),
        ("b", "archived"),
        ("c", "added"),
        ("f", "added"),
        ("d", "archived"),
    ]
