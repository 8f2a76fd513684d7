"""Baseline of the app's own database: the alembic version table only.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-28
"""
revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
