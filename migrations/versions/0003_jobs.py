"""Background jobs with leases (jobs), per-key job locks (job_locks), fired schedule occurrences (schedule_runs).

Spelled out here (not imported from app.adapters.appdb_tables) so the revision stays what it was.

Revision ID: 0003_jobs
Revises: 0002_voting
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003_jobs"
down_revision = "0002_voting"
branch_labels = None
depends_on = None

STATUSES = "status IN ('pending', 'running', 'waiting', 'succeeded', 'partial', 'failed', 'interrupted')"


def _ts() -> sa.types.TypeEngine:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _id() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("params", sa.Text, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("waiting_on", sa.String(40), nullable=True),
        sa.Column("progress", sa.Text, nullable=False, server_default="{}"),
        sa.Column("counts", sa.Text, nullable=False, server_default="{}"),
        sa.Column("errors", sa.Text, nullable=False, server_default="[]"),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("message", sa.String(500), nullable=True),
        sa.Column("requested_by", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        sa.Column("lease_expires_at", _ts(), nullable=True),
        sa.Column("heartbeat_at", _ts(), nullable=True),
        sa.Column("available_at", _ts(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("started_at", _ts(), nullable=True),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.CheckConstraint(STATUSES, name="ck_jobs_status"),
    )
    op.create_index("ix_jobs_status_available_at", "jobs", ["status", "available_at"])
    op.create_index("ix_jobs_kind_created_at", "jobs", ["kind", "created_at"])
    op.create_table(
        "job_locks",
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("job_id", _id(), nullable=False),
        sa.Column("owner", sa.String(120), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_job_locks"),
    )
    op.create_table(
        "schedule_runs",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("due_at", _ts(), nullable=False),
        sa.Column("fired_at", _ts(), nullable=False),
        sa.Column("fired_by", sa.String(120), nullable=False),
        sa.Column("job_id", _id(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_runs"),
        sa.UniqueConstraint("name", "due_at", name="uq_schedule_runs_name_due_at"),
    )


def downgrade() -> None:
    op.drop_table("schedule_runs")
    op.drop_table("job_locks")
    op.drop_index("ix_jobs_kind_created_at", table_name="jobs")
    op.drop_index("ix_jobs_status_available_at", table_name="jobs")
    op.drop_table("jobs")
