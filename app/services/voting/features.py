"""Features and categories: filtered, sorted, paged listing; creation and updates (admin)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, asc, case, desc, func, insert, select, update

from app.adapters import sql
from app.adapters.appdb_tables import voting_categories, voting_features
from app.errors import InvalidInput
from app.services.voting.records import PRIORITIES, STATUSES, feature_dict, feature_select, fetch_feature, utcnow

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
_PRIORITY_RANK = case({"low": 1, "medium": 2, "high": 3}, value=voting_features.c.priority, else_=0)
SORT_COLUMNS = {
    "vote_count": voting_features.c.vote_count, "upvotes": voting_features.c.upvote_count,
    "downvotes": voting_features.c.downvote_count, "created_at": voting_features.c.created_at,
    "updated_at": voting_features.c.updated_at, "title": voting_features.c.title,
    "status": voting_features.c.status, "priority": _PRIORITY_RANK, "category_name": voting_categories.c.name,
    "id": voting_features.c.id,
}
EDITABLE = ("title", "description", "category_id", "status", "priority", "target_release")


@dataclass(frozen=True)
class FeatureQuery:
    """Filters, sort and page of a feature listing (already validated by the route's schema)."""

    status: str | None = None
    category_id: int | None = None
    priority: str | None = None
    search: str | None = None
    sort_by: str = "vote_count"
    sort_order: str = "DESC"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class FeaturePage:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


def list_features(engine: Engine, query: FeatureQuery) -> FeaturePage:
    """One page of features. Raises InvalidInput for an unknown sort column, DependencyUnavailable."""
    if query.sort_by not in SORT_COLUMNS:
        raise InvalidInput("Unknown sort column.", details={"sortBy": [f"one of {sorted(SORT_COLUMNS)}"]})
    f = voting_features
    conditions = []
    if query.status:
        conditions.append(f.c.status == query.status)
    if query.category_id is not None:
        conditions.append(f.c.category_id == query.category_id)
    if query.priority:
        conditions.append(f.c.priority == query.priority)
    if query.search:
        term = query.search.strip()
        conditions.append(f.c.title.icontains(term, autoescape=True)
                          | f.c.description.icontains(term, autoescape=True))
    direction = desc if query.sort_order.upper() == "DESC" else asc
    stmt = (feature_select().where(*conditions)
            .order_by(direction(SORT_COLUMNS[query.sort_by]), direction(f.c.id))
            .limit(query.page_size).offset((query.page - 1) * query.page_size))
    count = select(func.count()).select_from(f).where(*conditions)
    with sql.connect(engine) as conn:
        total = conn.execute(count).scalar_one()
        items = [feature_dict(row) for row in conn.execute(stmt)]
    return FeaturePage(items=items, total=total, page=query.page, page_size=query.page_size)


def get_feature(engine: Engine, feature_id: int) -> dict[str, Any]:
    """One feature. Raises NotFound, DependencyUnavailable."""
    with sql.connect(engine) as conn:
        return fetch_feature(conn, feature_id)


def list_categories(engine: Engine) -> list[dict[str, Any]]:
    """Every category with how many features it holds."""
    c, f = voting_categories, voting_features
    counts = (select(func.count()).select_from(f).where(f.c.category_id == c.c.id).scalar_subquery())
    stmt = (select(c.c.id, c.c.name, c.c.description, c.c.color, c.c.sort_order, counts.label("feature_count"))
            .order_by(c.c.sort_order, c.c.name))
    with sql.connect(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def _resolve_category(conn: Connection, category_id: int | None, category_name: str | None) -> int | None:
    """The category id for an id or a name (the old VotingGrid sent the name). Raises InvalidInput."""
    c = voting_categories
    if category_id is not None:
        if conn.execute(select(c.c.id).where(c.c.id == category_id)).first() is None:
            raise InvalidInput("Unknown category.", details={"category_id": [f"no category {category_id}"]})
        return category_id
    if category_name:
        found = conn.execute(select(c.c.id).where(func.lower(c.c.name) == category_name.strip().lower())).first()
        if found is None:
            raise InvalidInput("Unknown category.", details={"category": [f"no category named {category_name!r}"]})
        return int(found.id)
    return None


def _check_choices(values: dict[str, Any]) -> None:
    # The route schemas validate too; this keeps the service safe for other callers (CLI, seed).
    if values.get("status") is not None and values["status"] not in STATUSES:
        raise InvalidInput("Unknown status.", details={"status": [f"one of {list(STATUSES)}"]})
    if values.get("priority") is not None and values["priority"] not in PRIORITIES:
        raise InvalidInput("Unknown priority.", details={"priority": [f"one of {list(PRIORITIES)}"]})


def create_feature(engine: Engine, *, title: str, created_by: str, description: str = "",
                   category_id: int | None = None, category: str | None = None, priority: str = "medium",
                   status: str = "proposed", target_release: str | None = None) -> dict[str, Any]:
    """Insert a feature; `category` is a name, `category_id` wins when both are given.

    Raises InvalidInput (unknown category, status or priority), DependencyUnavailable.
    """
    _check_choices({"status": status, "priority": priority})
    now = utcnow()
    with sql.begin(engine) as conn:
        resolved = _resolve_category(conn, category_id, category)
        result = conn.execute(insert(voting_features).values(
            title=title.strip(), description=description, category_id=resolved, priority=priority, status=status,
            target_release=target_release, created_by=created_by, created_at=now, updated_at=now))
        return fetch_feature(conn, sql.inserted_id(result))


def update_feature(engine: Engine, feature_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the editable fields present in `changes` (also `category` by name); bumps updated_at.

    Raises NotFound, InvalidInput, DependencyUnavailable.
    """
    values = {key: changes[key] for key in EDITABLE if key in changes}
    _check_choices(values)
    with sql.begin(engine) as conn:
        fetch_feature(conn, feature_id)  # 404 before any validation of the rest
        if "category_id" in changes or "category" in changes:
            values["category_id"] = _resolve_category(conn, changes.get("category_id"), changes.get("category"))
        if "title" in values:
            values["title"] = values["title"].strip()
        values["updated_at"] = utcnow()
        conn.execute(update(voting_features).where(voting_features.c.id == feature_id).values(**values))
        return fetch_feature(conn, feature_id)


def change_status(engine: Engine, feature_id: int, status: str,
                  target_release: str | None = None) -> dict[str, Any]:
    """Move a feature to `status` (and set its target release when given). Raises NotFound, InvalidInput."""
    changes: dict[str, Any] = {"status": status}
    if target_release is not None:
        changes["target_release"] = target_release
    return update_feature(engine, feature_id, changes)
