"""Alembic environment: always handed a live connection by storage.migrate."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables
import storage.slack_tables  # noqa: F401 - and slack_sdk's installation and OAuth-state tables

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
