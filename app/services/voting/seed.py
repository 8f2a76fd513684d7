"""Demo data for development (`python manage.py db seed-voting`): categories, features and a few votes.

Idempotent: categories are matched by name and features by title, so running it twice adds nothing.
Votes come from "demo:" users through `cast_vote`, so the counters are exactly what user_votes says.
Never served by a route.
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select

from app.adapters import sql
from app.adapters.appdb_tables import feature_comments, user_votes, voting_categories, voting_features
from app.services.voting.records import utcnow
from app.services.voting.votes import cast_vote

CATEGORIES = (  # name, description, color
    ("Synchronisation", "MDM -> Magento prices, stocks and sources", "#1976d2"),
    ("Dashboard", "Charts and KPIs of the admin home page", "#9c27b0"),
    ("Catalogue", "Products, categories, attributes and brands", "#2e7d32"),
    ("Media", "Product images: resizing, watermarking, upload", "#ef6c00"),
    ("Platform", "Performance, security, monitoring", "#546e7a"),
)
FEATURES = (  # title, category, status, priority, target release, description
    ("Scheduled stock sync per source", "Synchronisation", "in_progress", "high", "2.1",
     "Run the stock push for each store on its own schedule instead of all at once."),
    ("Price change preview before push", "Synchronisation", "approved", "high", "2.1",
     "Show old vs. new Magento price for every SKU before a price sync is sent."),
    ("Email report after each sync", "Synchronisation", "proposed", "medium", None,
     "Send a summary of successes and failures to the operations team."),
    ("Sales performance by store", "Dashboard", "completed", "medium", "2.0",
     "Revenue and orders per store over the last 12 months."),
    ("Low-stock alerts widget", "Dashboard", "proposed", "high", None,
     "List products under their reorder threshold across all sources."),
    ("Dark mode", "Dashboard", "on_hold", "low", None, "A dark theme for the admin interface."),
    ("Bulk edit product attributes", "Catalogue", "approved", "medium", "2.2",
     "Change one attribute on many products from the grid."),
    ("Brand logo management", "Catalogue", "completed", "low", "2.0", "Upload and crop brand logos."),
    ("Automatic image background removal", "Media", "proposed", "medium", None,
     "Remove backgrounds of product photos during the image pipeline."),
    ("WebP renditions", "Media", "completed", "medium", "1.9", "Serve WebP next to JPEG for every image."),
    ("Single sign-on", "Platform", "rejected", "low", None, "Log in with the company directory."),
    ("Audit log of admin actions", "Platform", "in_progress", "high", "2.1",
     "Who changed what and when, for every write made through the admin."),
)
DEMO_USERS = tuple(f"demo:user{i:02d}" for i in range(1, 13))


def seed_voting(engine: Engine, *, reset: bool = False, seed: int = 7) -> dict[str, int]:
    """Insert the demo categories and features (and demo votes/comments on new features).

    `reset` first deletes every voting row (comments, votes, features, categories). Returns what was added.
    """
    rng = random.Random(seed)
    now = utcnow()
    added = {"categories": 0, "features": 0, "votes": 0, "comments": 0}
    with sql.begin(engine) as conn:
        if reset:
            for table in (feature_comments, user_votes, voting_features, voting_categories):
                conn.execute(delete(table))
        ids = dict(conn.execute(select(voting_categories.c.name, voting_categories.c.id)).all())
        for order, (name, description, color) in enumerate(CATEGORIES):
            if name not in ids:
                ids[name] = sql.inserted_id(conn.execute(insert(voting_categories).values(
                    name=name, description=description, color=color, sort_order=order,
                    created_at=now)))
                added["categories"] += 1
        titles = set(conn.execute(select(voting_features.c.title)).scalars())
        new_ids: list[int] = []
        for index, (title, category, status, priority, release, description) in enumerate(FEATURES):
            if title in titles:
                continue
            created = now - timedelta(days=90 - index * 5)
            new_ids.append(sql.inserted_id(conn.execute(insert(voting_features).values(
                title=title, description=description, category_id=ids[category], status=status,
                priority=priority, target_release=release, created_by="demo:seed", created_at=created,
                updated_at=created + timedelta(days=rng.randint(0, 20))))))
            added["features"] += 1
        for feature_id in new_ids:
            for user in rng.sample(DEMO_USERS, rng.randint(0, 3)):
                conn.execute(insert(feature_comments).values(
                    feature_id=feature_id, user_id=user, created_at=now - timedelta(days=rng.randint(0, 30)),
                    comment=rng.choice(("We need this for the next season.", "+1, saves us hours every week.",
                                        "Could this also cover the Casablanca stores?"))))
                added["comments"] += 1
    for feature_id in new_ids:  # after the commit: votes go through the real voting path
        for user in rng.sample(DEMO_USERS, rng.randint(0, len(DEMO_USERS))):
            cast_vote(engine, feature_id, user, "upvote" if rng.random() < 0.8 else "downvote")
            added["votes"] += 1
    return added
