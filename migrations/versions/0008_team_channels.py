"""team channels

A unit's WeCom, DingTalk and Feishu group robots (their webhook and signing secret encrypted), and the queue
of messages to them, one per event and channel.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 11:06:10
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import backend.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_channel",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("unit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("url_encrypted", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("masked_url", sqlmodel.sql.sqltypes.AutoString(length=2100), nullable=False),
        sa.Column("secret_encrypted", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("keyword", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("include_descendants", sa.Boolean(), nullable=False),
        sa.Column("for_leads", sa.Boolean(), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("disabled_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("team_channel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_channel_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "channel_message",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("lease_until", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merged_into", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["team_channel.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "dedupe_key", name="uq_channel_message_dedupe"),
    )
    with op.batch_alter_table("channel_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_message_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index("ix_channel_message_status_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("channel_message", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_message_status_due")
        batch_op.drop_index(batch_op.f("ix_channel_message_channel_id"))

    op.drop_table("channel_message")
    with op.batch_alter_table("team_channel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_channel_unit_id"))

    op.drop_table("team_channel")
