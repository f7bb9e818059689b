"""official holiday schedules

China's days off and make-up working days of a year as the State Council announced them, entered by an
admin; they replace the holidays estimated (or packaged) for that year.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import backend.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "official_schedule",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("days_off", sa.JSON(), nullable=False),
        sa.Column("make_up_workdays", sa.JSON(), nullable=False),
        sa.Column("entered_by", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("entered_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entered_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("year"),
    )


def downgrade() -> None:
    op.drop_table("official_schedule")
