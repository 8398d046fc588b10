"""private words: opaque refs, a concern's group and recipients, kept team energy, access changes

Revision ID: 0f4044a2809c
Revises: dab137001cf6
Create Date: 2026-12-03 15:35:01.288817
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = "0f4044a2809c"
down_revision = "dab137001cf6"
branch_labels = None
depends_on = None

_REFERRED = ("checkin", "reflection", "concern", "concernnote")


def _add_refs(table: str) -> None:
    """A nullable column, a random ref for every existing row, then NOT NULL and unique."""
    with op.batch_alter_table(table) as batch_op:
        batch_op.add_column(
            sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    connection = op.get_bind()
    rows = sa.table(table, sa.column("id", sa.Integer), sa.column("ref", sa.String))
    for (row_id,) in connection.execute(sa.select(rows.c.id)).all():
        connection.execute(
            sa.update(rows).where(rows.c.id == row_id).values(ref=secrets.token_urlsafe(16))
        )
    with op.batch_alter_table(table) as batch_op:
        batch_op.alter_column(
            "ref", existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False
        )
        batch_op.create_index(batch_op.f(f"ix_{table}_ref"), ["ref"], unique=True)


def _record_recipients() -> None:
    """A concern delivered before recipients were recorded: its audience of now (the team's
    manager, or the leaders), the best record there is; from here on it no longer follows
    whoever holds the role."""
    connection = op.get_bind()
    concern = sa.table(
        "concern",
        sa.column("id", sa.Integer),
        sa.column("workspace_id", sa.String),
        sa.column("audience_kind", sa.String),
        sa.column("audience_team", sa.String),
        sa.column("delivered_on", sa.Date),
        sa.column("delivered_to", sa.JSON),
    )
    team = sa.table(
        "team",
        sa.column("workspace_id", sa.String),
        sa.column("key", sa.String),
        sa.column("manager_id", sa.String),
    )
    workspace = sa.table("workspace", sa.column("id", sa.String), sa.column("config", sa.JSON))
    managers = {
        (ws, key): manager
        for ws, key, manager in connection.execute(
            sa.select(team.c.workspace_id, team.c.key, team.c.manager_id)
        )
    }
    leaders = {
        ws: list((config or {}).get("leaders") or [])
        for ws, config in connection.execute(sa.select(workspace.c.id, workspace.c.config))
    }
    delivered = connection.execute(
        sa.select(
            concern.c.id, concern.c.workspace_id, concern.c.audience_kind, concern.c.audience_team
        ).where(concern.c.delivered_on.is_not(None))
    ).all()
    for row_id, ws, kind, key in delivered:
        manager = managers.get((ws, key)) if kind == "team" else None
        heard = [manager] if manager else leaders.get(ws, [])
        connection.execute(
            sa.update(concern).where(concern.c.id == row_id).values(delivered_to=heard)
        )


def upgrade() -> None:
    op.create_table(
        "accesschange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("before", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("after", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("accesschange") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accesschange_workspace_id"), ["workspace_id"], unique=False
        )
    op.create_table(
        "teamenergy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "team_key", "period"),
    )
    with op.batch_alter_table("teamenergy") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_teamenergy_workspace_id"), ["workspace_id"], unique=False
        )
    for table in _REFERRED:
        _add_refs(table)
    with op.batch_alter_table("concern") as batch_op:
        batch_op.add_column(
            sa.Column("group_members", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("delivered_to", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("concern") as batch_op:  # the model has no server default
        batch_op.alter_column("group_members", server_default=None)
        batch_op.alter_column("delivered_to", server_default=None)
    _record_recipients()
    with op.batch_alter_table("reflection") as batch_op:
        batch_op.add_column(
            sa.Column("team_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("manager_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("reflection") as batch_op:
        batch_op.drop_column("manager_id")
        batch_op.drop_column("team_key")
    with op.batch_alter_table("concern") as batch_op:
        batch_op.drop_column("delivered_to")
        batch_op.drop_column("group_members")
    for table in reversed(_REFERRED):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_ref"))
            batch_op.drop_column("ref")
    with op.batch_alter_table("teamenergy") as batch_op:
        batch_op.drop_index(batch_op.f("ix_teamenergy_workspace_id"))
    op.drop_table("teamenergy")
    with op.batch_alter_table("accesschange") as batch_op:
        batch_op.drop_index(batch_op.f("ix_accesschange_workspace_id"))
    op.drop_table("accesschange")
