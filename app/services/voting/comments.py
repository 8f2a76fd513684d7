"""Comments on features: list and add (the author is the caller's identity)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from app.adapters import sql
from app.adapters.appdb_tables import feature_comments, voting_features
from app.errors import InvalidInput, NotFound
from app.services.voting.records import aware, utcnow

MAX_COMMENT_LENGTH = 5000


def _comment_dict(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data["user_name"] = data["user_id"]  # no user directory: the token subject is the display name
    data["created_at"] = aware(data["created_at"])
    return data


def _require_feature(conn: Connection, feature_id: int) -> None:
    if conn.execute(select(voting_features.c.id).where(voting_features.c.id == feature_id)).first() is None:
        raise NotFound(f"Feature {feature_id} does not exist.", details={"feature_id": feature_id})


def list_comments(engine: Engine, feature_id: int) -> list[dict[str, Any]]:
    """A feature's comments, oldest first. Raises NotFound, DependencyUnavailable."""
    c = feature_comments
    with sql.connect(engine) as conn:
        _require_feature(conn, feature_id)
        rows = conn.execute(select(c.c.id, c.c.feature_id, c.c.user_id, c.c.comment, c.c.created_at)
                            .where(c.c.feature_id == feature_id).order_by(c.c.created_at, c.c.id))
        return [_comment_dict(row) for row in rows]


def add_comment(engine: Engine, feature_id: int, user_id: str, comment: str) -> dict[str, Any]:
    """Add `user_id`'s comment and touch the feature's updated_at. Raises NotFound, InvalidInput."""
    text = comment.strip()
    if not text or len(text) > MAX_COMMENT_LENGTH:
        raise InvalidInput("The comment is empty or too long.",
                           details={"comment": [f"1 to {MAX_COMMENT_LENGTH} characters"]})
    now = utcnow()
    c = feature_comments
    with sql.begin(engine) as conn:
        _require_feature(conn, feature_id)
        result = conn.execute(insert(c).values(feature_id=feature_id, user_id=user_id, comment=text, created_at=now))
        conn.execute(update(voting_features).where(voting_features.c.id == feature_id).values(updated_at=now))
        row = conn.execute(select(c.c.id, c.c.feature_id, c.c.user_id, c.c.comment, c.c.created_at)
                           .where(c.c.id == sql.inserted_id(result))).one()
        return _comment_dict(row)
