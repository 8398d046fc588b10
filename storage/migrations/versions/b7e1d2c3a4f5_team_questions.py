"""team questions: a check-in's answers by question key, the questions each team's period
asked, the team's choice and scale figures kept beside its energy, and a digest of each
workspace's configuration (read instead of the whole configuration on every request)

Revision ID: b7e1d2c3a4f5
Revises: 75f248cbd17e
Create Date: 2026-12-04 03:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = "b7e1d2c3a4f5"
down_revision = "75f248cbd17e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspace") as batch_op:
        batch_op.add_column(
            sa.Column("config_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    with op.batch_alter_table("checkin") as batch_op:
        batch_op.add_column(sa.Column("answers", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("teamenergy") as batch_op:
        batch_op.add_column(sa.Column("figures", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "questionset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "team_key", "period"),
    )
    with op.batch_alter_table("questionset") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionset_workspace_id"), ["workspace_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("questionset") as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionset_workspace_id"))
    op.drop_table("questionset")
    with op.batch_alter_table("teamenergy") as batch_op:
        batch_op.drop_column("figures")
    with op.batch_alter_table("checkin") as batch_op:
        batch_op.drop_column("answers")
    with op.batch_alter_table("workspace") as batch_op:
        batch_op.drop_column("config_hash")
