"""customer province: the province (or municipality) a customer is in, for the regions report's grid

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null for every existing customer: "no province given" until someone sets it.
    op.add_column("customer", sa.Column("province", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns itself), as 0006 does.


def downgrade() -> None:
    op.execute("ALTER TABLE customer DROP COLUMN province")
