"""change log keeps the wire form

Each change-log row keeps the change as a pull sends it, rendered when the change commits, so a page of a
pull is read from the log alone. Rows logged before this revision keep none, and a pull shapes them from
their records as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("change_log") as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("change_log") as batch_op:
        batch_op.drop_column("body")
