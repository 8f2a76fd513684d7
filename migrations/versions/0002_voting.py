"""Feature voting: voting_categories, voting_features, user_votes (one per user and feature), feature_comments.

The tables are spelled out here (not imported from app.adapters.appdb_tables) so this revision stays what it
was when later revisions change the models.

Revision ID: 0002_voting
Revises: 0001_foundation
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002_voting"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

STATUSES = "status IN ('proposed', 'approved', 'in_progress', 'completed', 'rejected', 'on_hold')"
PRIORITIES = "priority IN ('low', 'medium', 'high')"
VOTE_TYPES = "vote_type IN ('upvote', 'downvote')"


def _timestamp() -> sa.types.TypeEngine:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "voting_categories",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("color", sa.String(20), nullable=False, server_default="#1976d2"),
        sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_voting_categories"),
        sa.UniqueConstraint("name", name="uq_voting_categories_name"),
    )
    op.create_table(
        "voting_features",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("category_id", sa.Integer, nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="proposed"),
        sa.Column("priority", sa.String(10), nullable=False, server_default="medium"),
        sa.Column("vote_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("upvote_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("downvote_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("target_release", sa.String(50), nullable=True),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_voting_features"),
        sa.ForeignKeyConstraint(["category_id"], ["voting_categories.id"], ondelete="SET NULL",
                                name="fk_voting_features_category_id_voting_categories"),
        sa.CheckConstraint(STATUSES, name="ck_voting_features_status"),
        sa.CheckConstraint(PRIORITIES, name="ck_voting_features_priority"),
    )
    op.create_index("ix_voting_features_status", "voting_features", ["status"])
    op.create_index("ix_voting_features_category_id", "voting_features", ["category_id"])
    op.create_table(
        "user_votes",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("feature_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("vote_type", sa.String(10), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_votes"),
        sa.ForeignKeyConstraint(["feature_id"], ["voting_features.id"], ondelete="CASCADE",
                                name="fk_user_votes_feature_id_voting_features"),
        sa.UniqueConstraint("feature_id", "user_id", name="uq_user_votes_feature_id_user_id"),
        sa.CheckConstraint(VOTE_TYPES, name="ck_user_votes_vote_type"),
    )
    op.create_index("ix_user_votes_user_id", "user_votes", ["user_id"])
    op.create_table(
        "feature_comments",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("feature_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feature_comments"),
        sa.ForeignKeyConstraint(["feature_id"], ["voting_features.id"], ondelete="CASCADE",
                                name="fk_feature_comments_feature_id_voting_features"),
    )
    op.create_index("ix_feature_comments_feature_id", "feature_comments", ["feature_id"])


def downgrade() -> None:
    op.drop_table("feature_comments")
    op.drop_table("user_votes")
    op.drop_table("voting_features")
    op.drop_table("voting_categories")
