"""Dashboard snapshots (snapshots): the latest copy of each chart dataset and the snapshot job's working set.

Spelled out here (not imported from app.adapters.appdb_tables) so the revision stays what it was.

Revision ID: 0004_snapshots
Revises: 0003_jobs
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004_snapshots"
down_revision = "0003_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    op.create_table(
        "snapshots",
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("as_of", ts, nullable=False),
        sa.Column("built_at", ts, nullable=False),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("size", sa.Integer, nullable=False, server_default="0"),
        sa.Column("payload", sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb"), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_snapshots"),
    )


def downgrade() -> None:
    op.drop_table("snapshots")
