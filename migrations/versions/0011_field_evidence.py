"""field evidence: visit photos, check-out position, evidence flags, check-in radii, customers' initials

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import backend.db
from backend.customers.pinyin import initials

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VISIT_COLUMNS = (
    ("check_out_lat", sa.Float()),
    ("check_out_lon", sa.Float()),
    ("check_out_accuracy_m", sa.Float()),
    ("photos", sa.JSON()),
    ("photos_arrived", sa.JSON()),
    ("flags", sa.JSON()),
)


def upgrade() -> None:
    for name, kind in _VISIT_COLUMNS:
        op.add_column("visit", sa.Column(name, kind, nullable=True))
    op.add_column("customer", sa.Column("radius_m", sa.Integer(), nullable=True))
    op.add_column("customer", sa.Column("initials", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.add_column("unit", sa.Column("check_in_radius_m", sa.Integer(), nullable=True))
    op.create_table(
        "attachment",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("owner_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("arrived_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unlisted_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachment_unlisted_at"), ["unlisted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachment_visit_id"), ["visit_id"], unique=False)
    _backfill_initials()


def _backfill_initials() -> None:
    """Existing customers' initials, computed as the server computes them for a new name. Each one changed
    gets a new version and a new change-log position (its body left for pulls to render, as the demo
    seeder leaves it), so phones that hold the customer pull its initials."""
    connection = op.get_bind()
    customers = connection.execute(
        sa.text("SELECT id, name, version FROM customer WHERE deleted_at IS NULL ORDER BY id")
    ).all()
    changed = [
        {"id": row.id, "initials": found, "version": row.version + 1}
        for row in customers
        if (found := initials(row.name)) is not None
    ]
    if not changed:
        return
    last = connection.execute(sa.text("SELECT last_seq FROM sync_state WHERE id = 1")).scalar_one()
    connection.execute(
        sa.text("UPDATE customer SET initials = :initials, version = :version WHERE id = :id"), changed
    )
    connection.execute(
        sa.text(
            "UPDATE change_log SET seq = :seq, version = :version, body = NULL "
            "WHERE entity = 'customer' AND record_id = :id"
        ),
        [{"id": row["id"], "version": row["version"], "seq": last + n} for n, row in enumerate(changed, start=1)],
    )
    connection.execute(
        sa.text("UPDATE sync_state SET last_seq = :last WHERE id = 1"), {"last": last + len(changed)}
    )


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns itself), as 0006 does.


def downgrade() -> None:
    op.drop_table("attachment")
    op.execute("ALTER TABLE unit DROP COLUMN check_in_radius_m")
    op.execute("ALTER TABLE customer DROP COLUMN initials")
    op.execute("ALTER TABLE customer DROP COLUMN radius_m")
    for name, _kind in reversed(_VISIT_COLUMNS):
        op.execute(f"ALTER TABLE visit DROP COLUMN {name}")
