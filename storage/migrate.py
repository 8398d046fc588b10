"""Bring the schema up to date on start (and from `python -m bot db upgrade`)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables


def upgrade(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)
