"""Schema migrations with Alembic: run on start and by `python -m bot db upgrade`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables
import storage.slack_tables  # noqa: F401 - and slack_sdk's installation and OAuth-state tables

_MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK = 7_240_001  # a PostgreSQL advisory lock id: one process migrates at a time


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (safe when several processes start at once)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK})
        command.upgrade(alembic_config(connection), "head")


def pending_differences(engine: Engine) -> list[object]:
    """What the models have that the migrated schema lacks (empty when they agree)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    with engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
