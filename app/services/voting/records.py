"""The feature record every voting read returns: one SELECT, one row-to-dict conversion, one clock."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, func, select

from app.adapters.appdb_tables import (
    VOTE_TYPES,
    VOTING_PRIORITIES,
    VOTING_STATUSES,
    feature_comments,
    voting_categories,
    voting_features,
)
from app.adapters.sql import AnySelect
from app.errors import NotFound

__all__ = [
    "PRIORITIES",
    "STATUSES",
    "UNCATEGORIZED",
    "VOTE_TYPES",
    "aware",
    "feature_dict",
    "feature_select",
    "fetch_feature",
    "utcnow",
]

STATUSES = VOTING_STATUSES
PRIORITIES = VOTING_PRIORITIES
UNCATEGORIZED = "Uncategorized"


def utcnow() -> dt.datetime:
    """Naive UTC: what the portable DATETIME columns store."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """Stored naive UTC -> aware UTC, so the API renders an explicit offset."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def feature_select() -> AnySelect:
    """Features joined to their category, with the number of comments."""
    f, c = voting_features, voting_categories
    comments = (select(func.count()).select_from(feature_comments)
                .where(feature_comments.c.feature_id == f.c.id).scalar_subquery())
    return (select(f.c.id, f.c.title, f.c.description, f.c.category_id, c.c.name.label("category_name"),
                   c.c.color.label("category_color"), f.c.status, f.c.priority, f.c.vote_count,
                   f.c.upvote_count, f.c.downvote_count, comments.label("comment_count"), f.c.target_release,
                   f.c.created_by, f.c.created_at, f.c.updated_at)
            .select_from(f.outerjoin(c, f.c.category_id == c.c.id)))


def feature_dict(row: Any) -> dict[str, Any]:
    """A feature as the API shapes it: `category` (name) for the roadmap, `category_name` for the grid."""
    data = dict(row._mapping)
    data["description"] = data.get("description") or ""
    data["category"] = data.get("category_name") or UNCATEGORIZED
    data["upvotes"] = data.pop("upvote_count")
    data["downvotes"] = data.pop("downvote_count")
    data["comment_count"] = int(data.get("comment_count") or 0)
    data["created_at"] = aware(data["created_at"])
    data["updated_at"] = aware(data["updated_at"])
    return data


def fetch_feature(conn: Connection, feature_id: int) -> dict[str, Any]:
    """One feature. Raises NotFound."""
    row = conn.execute(feature_select().where(voting_features.c.id == feature_id)).first()
    if row is None:
        raise NotFound(f"Feature {feature_id} does not exist.", details={"feature_id": feature_id})
    return feature_dict(row)
