"""The Alembic migrations and the SQLModel tables must agree."""

from __future__ import annotations

from storage.migrate import pending_differences


def test_models_and_migrations_agree(engine):
    assert pending_differences(engine) == []
