"""change log indexes with the position

A pull reads "owned by these people or belonging to these units, after position N, in position order".
With indexes on `owner_id` and `unit_id` alone, each branch of that OR read the key's whole history and
sorted it, so an incremental pull cost as much as a full one and grew with the log; with the position
beside each key, a branch reads only what is after N.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 05:12:00.635486
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_change_log_owner_id_seq", "change_log", ["owner_id", "seq"])
    op.create_index("ix_change_log_unit_id_seq", "change_log", ["unit_id", "seq"])
    op.drop_index("ix_change_log_owner_id", table_name="change_log")
    op.drop_index("ix_change_log_unit_id", table_name="change_log")


def downgrade() -> None:
    op.create_index("ix_change_log_owner_id", "change_log", ["owner_id"])
    op.create_index("ix_change_log_unit_id", "change_log", ["unit_id"])
    op.drop_index("ix_change_log_owner_id_seq", table_name="change_log")
    op.drop_index("ix_change_log_unit_id_seq", table_name="change_log")
