"""visit rep index folded into rep and check-in

`ix_visit_rep_check_in` (rep_id, check_in_at) answers every lookup by rep that `ix_visit_rep_id` did, so
the single-column index only cost one more B-tree insert for every visit written (a sync batch writes
them by the hundred).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_visit_rep_id", table_name="visit")


def downgrade() -> None:
    op.create_index("ix_visit_rep_id", "visit", ["rep_id"])
