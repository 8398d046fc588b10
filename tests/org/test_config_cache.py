"""The parsed org config is kept per stored version: a row's digest of its config, set on every
write, so a request reads 64 bytes instead of a config of megabytes; a row written before
digests were kept is compared by its text. Nothing can be stale either way."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from bot.org.plan import load_config
from storage.models import Workspace, config_fingerprint
from tests.conftest import TEAM, seed_org

ORG = {"teams": [{"key": "platform", "name": "Platform", "manager": "UMGR"}]}


def test_every_write_keeps_the_digest_and_a_change_is_read_at_once(engine):
    seed_org(engine, ORG, [])
    with Session(engine) as session:
        row = session.get(Workspace, TEAM)
        assert row.config_hash == config_fingerprint(row.config)
        assert load_config(session, TEAM).teams[0].name == "Platform"
        row.config = {"teams": [{"key": "platform", "name": "Core", "manager": "UMGR"}]}
        session.add(row)
        session.commit()
        assert row.config_hash == config_fingerprint(row.config)
        assert load_config(session, TEAM).teams[0].name == "Core"


def test_a_row_without_a_digest_is_compared_by_its_text(engine):
    seed_org(engine, ORG, [])
    renamed = {"teams": [{"key": "platform", "name": "Renamed", "manager": "UMGR"}]}
    with Session(engine) as session:
        assert load_config(session, TEAM).teams[0].name == "Platform"
        session.execute(  # as a row written before digests were kept, changed under us
            sa.update(Workspace)
            .where(Workspace.id == TEAM)
            .values(config_hash=None, config=renamed)
        )
        session.commit()
        assert load_config(session, TEAM).teams[0].name == "Renamed"
        assert load_config(session, "T0NONE") is None
