"""Read-only views over the features: the roadmap, statistics and release notes (from completed features)."""
from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine, func, select

from app.adapters import sql
from app.adapters.appdb_tables import feature_comments, user_votes, voting_features
from app.services.voting.records import STATUSES, UNCATEGORIZED, feature_dict, feature_select

RECENT_ACTIVITY = 10
UNVERSIONED = "unversioned"


def _all_features(engine: Engine) -> list[dict[str, Any]]:
    f = voting_features
    stmt = feature_select().order_by(f.c.vote_count.desc(), f.c.id)
    with sql.connect(engine) as conn:
        return [feature_dict(row) for row in conn.execute(stmt)]


def roadmap(engine: Engine) -> dict[str, Any]:
    """{totalFeatures, byStatus{every status: [feature]}, byCategory{name: [feature]}, recentActivity[...]}.

    Lists are ordered by votes (most first); every status key is present even when empty, because the
    frontend's RoadmapGrid indexes byStatus by status without checking.
    """
    features = _all_features(engine)
    by_status: dict[str, list[dict[str, Any]]] = {status: [] for status in STATUSES}
    by_category: dict[str, list[dict[str, Any]]] = {}
    for feature in features:
        by_status[feature["status"]].append(feature)
        by_category.setdefault(feature["category_name"] or UNCATEGORIZED, []).append(feature)
    recent = sorted(features, key=lambda item: (item["updated_at"], item["id"]), reverse=True)[:RECENT_ACTIVITY]
    return {
        "totalFeatures": len(features),
        "byStatus": by_status,
        "byCategory": by_category,
        "recentActivity": [{"id": item["id"], "title": item["title"], "status": item["status"],
                            "updated_date": item["updated_at"]} for item in recent],
    }


def stats(engine: Engine) -> dict[str, Any]:
    """Totals for a dashboard card: features by status/priority/category, votes, comments, voters, top 5."""
    features = _all_features(engine)
    with sql.connect(engine) as conn:
        total_votes = conn.execute(select(func.count()).select_from(user_votes)).scalar_one()
        voters = conn.execute(select(func.count(func.distinct(user_votes.c.user_id)))).scalar_one()
        comments = conn.execute(select(func.count()).select_from(feature_comments)).scalar_one()
    by_status = {status: 0 for status in STATUSES}
    by_status.update(Counter(item["status"] for item in features))
    by_priority = Counter(item["priority"] for item in features)
    by_category = Counter(item["category"] for item in features)
    return {
        "totalFeatures": len(features),
        "totalVotes": total_votes,
        "totalComments": comments,
        "uniqueVoters": voters,
        "byStatus": by_status,
        "byPriority": {p: by_priority.get(p, 0) for p in ("high", "medium", "low")},
        "byCategory": [{"name": name, "count": count} for name, count in by_category.most_common()],
        "topFeatures": features[:5],
    }


def release_notes(engine: Engine, release: str | None = None) -> list[dict[str, Any]]:
    """Completed features grouped by target release, newest release first.

    A completed feature without a target release is listed under "unversioned". `releasedAt` is the
    latest update among the release's features (there is no release table).
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for feature in _all_features(engine):
        if feature["status"] != "completed":
            continue
        groups.setdefault(feature["target_release"] or UNVERSIONED, []).append(feature)
    notes = [{"version": version, "releasedAt": max(item["updated_at"] for item in items),
              "featureCount": len(items), "features": items} for version, items in groups.items()]
    if release:
        notes = [note for note in notes if note["version"] == release]
    return sorted(notes, key=lambda note: note["releasedAt"], reverse=True)
