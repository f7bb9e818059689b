"""users must change a password someone else set

A password set by a manager or an admin is known to them: until its owner chooses one of their own, the
login answer says `must_change_password` and the app asks for a new one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns itself): a batch copy of `user` would
# drop the table every other one points at, which SQLite refuses with foreign keys on.


def upgrade() -> None:
    op.add_column(
        "user", sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.execute('ALTER TABLE "user" DROP COLUMN must_change_password')
