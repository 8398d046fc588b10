"""slack status: each person's status text, emoji and expiry, for time away

Revision ID: a1a1c0ffee01
Revises: 0f4044a2809c
Create Date: 2026-12-04 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = "a1a1c0ffee01"
down_revision = "0f4044a2809c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(
            sa.Column(
                "status_text",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "status_emoji",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("status_expires_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("status_expires_at")
        batch_op.drop_column("status_emoji")
        batch_op.drop_column("status_text")
