"""The app's own tables (jobs, schedule runs, voting...): one MetaData, changed only through alembic.

Areas append their tables here; every change also gets a revision in migrations/versions/.
"""
from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


# ---------------------------------------------------------------------------------------------------------
# Voting (issue 7): categories, features, one vote per user per feature, comments. Revision 0002_voting.
# Owned by app/services/voting/. Timestamps are naive UTC (portable across SQLite, PostgreSQL, MariaDB);
# MariaDB gets microsecond DATETIME so "recent activity" orders reliably.
# ---------------------------------------------------------------------------------------------------------

VOTING_STATUSES = ("proposed", "approved", "in_progress", "completed", "rejected", "on_hold")
VOTING_PRIORITIES = ("low", "medium", "high")
VOTE_TYPES = ("upvote", "downvote")
_VotingTimestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


voting_categories = Table(
    "voting_categories", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("description", String(500), nullable=True),
    Column("color", String(20), nullable=False, server_default="#1976d2"),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    Column("created_at", _VotingTimestamp, nullable=False),
    UniqueConstraint("name", name="uq_voting_categories_name"),
)

voting_features = Table(
    "voting_features", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("category_id", Integer, ForeignKey("voting_categories.id", ondelete="SET NULL"), nullable=True),
    Column("status", String(20), nullable=False, server_default="proposed"),
    Column("priority", String(10), nullable=False, server_default="medium"),
    # Counters move in the same transaction as the user_votes row, under a lock on this row.
    Column("vote_count", Integer, nullable=False, server_default="0"),  # upvotes - downvotes
    Column("upvote_count", Integer, nullable=False, server_default="0"),
    Column("downvote_count", Integer, nullable=False, server_default="0"),
    Column("target_release", String(50), nullable=True),
    Column("created_by", String(255), nullable=True),
    Column("created_at", _VotingTimestamp, nullable=False),
    Column("updated_at", _VotingTimestamp, nullable=False),
    CheckConstraint(_in("status", VOTING_STATUSES), name="status"),
    CheckConstraint(_in("priority", VOTING_PRIORITIES), name="priority"),
    Index("ix_voting_features_status", "status"),
    Index("ix_voting_features_category_id", "category_id"),
)

user_votes = Table(
    "user_votes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feature_id", Integer, ForeignKey("voting_features.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(255), nullable=False),  # the token's subject, never a body field
    Column("vote_type", String(10), nullable=False),
    Column("created_at", _VotingTimestamp, nullable=False),
    Column("updated_at", _VotingTimestamp, nullable=False),
    UniqueConstraint("feature_id", "user_id", name="uq_user_votes_feature_id_user_id"),
    CheckConstraint(_in("vote_type", VOTE_TYPES), name="vote_type"),
    Index("ix_user_votes_user_id", "user_id"),
)

feature_comments = Table(
    "feature_comments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feature_id", Integer, ForeignKey("voting_features.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", _VotingTimestamp, nullable=False),
    Index("ix_feature_comments_feature_id", "feature_id"),
)
# ---------------------------------------------------------------------------------------------------------
# End of voting.
# ---------------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------------
# Jobs and schedules (issue 5): background jobs with leases, the per-key locks that keep two pipeline runs of
# one source apart, and one row per fired schedule occurrence (the unique (name, due_at) makes it fire once).
# Revision 0003_jobs. Owned by app/services/jobs/ and app/services/sync/. Timestamps are naive UTC.
# ---------------------------------------------------------------------------------------------------------
from sqlalchemy import BigInteger  # noqa: E402

JOB_STATUSES = ("pending", "running", "waiting", "succeeded", "partial", "failed", "interrupted")
_JobTimestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_JobId = BigInteger().with_variant(Integer, "sqlite")  # SQLite only autoincrements INTEGER PRIMARY KEY

jobs = Table(
    "jobs", metadata,
    Column("id", _JobId, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("params", Text, nullable=False, server_default="{}"),        # JSON
    Column("status", String(20), nullable=False, server_default="pending"),
    Column("waiting_on", String(40), nullable=True),                    # upstream a waiting job waits for
    Column("progress", Text, nullable=False, server_default="{}"),      # JSON {done, total, sources{}}
    Column("counts", Text, nullable=False, server_default="{}"),        # JSON {pushed, accepted, ...}
    Column("errors", Text, nullable=False, server_default="[]"),        # JSON, bounded list
    Column("result", Text, nullable=True),                              # JSON, kind-specific summary
    Column("message", String(500), nullable=True),
    Column("requested_by", String(255), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False, server_default="3"),
    Column("lease_owner", String(120), nullable=True),
    Column("lease_expires_at", _JobTimestamp, nullable=True),
    Column("heartbeat_at", _JobTimestamp, nullable=True),
    Column("available_at", _JobTimestamp, nullable=False),              # not claimed before this time
    Column("created_at", _JobTimestamp, nullable=False),
    Column("started_at", _JobTimestamp, nullable=True),
    Column("finished_at", _JobTimestamp, nullable=True),
    Column("updated_at", _JobTimestamp, nullable=False),
    CheckConstraint(_in("status", JOB_STATUSES), name="status"),
    Index("ix_jobs_status_available_at", "status", "available_at"),
    Index("ix_jobs_kind_created_at", "kind", "created_at"),
)

job_locks = Table(
    "job_locks", metadata,
    Column("name", String(120), primary_key=True),                      # e.g. "stock-source:3"
    Column("job_id", _JobId, nullable=False),
    Column("owner", String(120), nullable=False),
    Column("expires_at", _JobTimestamp, nullable=False),
)

schedule_runs = Table(
    "schedule_runs", metadata,
    Column("id", _JobId, primary_key=True, autoincrement=True),
    Column("name", String(40), nullable=False),
    Column("due_at", _JobTimestamp, nullable=False),                    # the cron occurrence, naive UTC
    Column("fired_at", _JobTimestamp, nullable=False),
    Column("fired_by", String(120), nullable=False),
    Column("job_id", _JobId, nullable=True),
    UniqueConstraint("name", "due_at", name="uq_schedule_runs_name_due_at"),
)
# ---------------------------------------------------------------------------------------------------------
# End of jobs and schedules.
# ---------------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------------
# Dashboard snapshots (issue 14): the latest built copy of each chart/dashboard dataset, and the snapshot
# job's working set (per-entity aggregates that make an incremental refresh correct). Revision 0004_snapshots.
# Owned by app/adapters/snapshot_store.py. Payloads are zlib-compressed JSON; naive UTC timestamps.
# ---------------------------------------------------------------------------------------------------------
from sqlalchemy import LargeBinary  # noqa: E402

_SnapshotBlob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")

snapshots = Table(
    "snapshots", metadata,
    Column("name", String(80), primary_key=True),                       # e.g. "inventory/status"
    Column("as_of", _JobTimestamp, nullable=False),                     # when its oldest input was read
    Column("built_at", _JobTimestamp, nullable=False),
    Column("job_id", _JobId, nullable=True),
    Column("size", Integer, nullable=False, server_default="0"),        # payload bytes (compressed)
    Column("payload", _SnapshotBlob, nullable=False),
)
# ---------------------------------------------------------------------------------------------------------
# End of dashboard snapshots.
# ---------------------------------------------------------------------------------------------------------
