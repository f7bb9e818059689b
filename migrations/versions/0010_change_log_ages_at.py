"""change log: when a record starts ageing out of a lead's or manager's window

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 14:15:00

Rows logged before it keep no time and so never age: they are held as before until their record next changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns itself), as 0006 does.


def upgrade() -> None:
    op.add_column("change_log", sa.Column("ages_at", backend.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE change_log DROP COLUMN ages_at")
