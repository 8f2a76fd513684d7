"""Feature voting and roadmap (issue 7): features, categories, one vote per user, comments, reports.

Business logic only (no request, no g): every function takes the app database engine and the caller's
identity as arguments. Tables: app/adapters/appdb_tables.py (voting section), revision 0002_voting.
"""
from app.services.voting.comments import add_comment, list_comments
from app.services.voting.features import (
                                          DEFAULT_PAGE_SIZE,
                                          MAX_PAGE_SIZE,
                                          SORT_COLUMNS,
                                          FeaturePage,
                                          FeatureQuery,
                                          change_status,
                                          create_feature,
                                          get_feature,
                                          list_categories,
                                          list_features,
                                          update_feature,
)
from app.services.voting.records import PRIORITIES, STATUSES, VOTE_TYPES
from app.services.voting.reports import release_notes, roadmap, stats
from app.services.voting.seed import seed_voting
from app.services.voting.votes import VoteState, cast_vote, recount, remove_vote, user_votes_of

__all__ = [
                                          "DEFAULT_PAGE_SIZE",
                                          "MAX_PAGE_SIZE",
                                          "PRIORITIES",
                                          "SORT_COLUMNS",
                                          "STATUSES",
                                          "VOTE_TYPES",
                                          "FeaturePage",
                                          "FeatureQuery",
                                          "VoteState",
                                          "add_comment",
                                          "cast_vote",
                                          "change_status",
                                          "create_feature",
                                          "get_feature",
                                          "list_categories",
                                          "list_comments",
                                          "list_features",
                                          "recount",
                                          "release_notes",
                                          "remove_vote",
                                          "roadmap",
                                          "seed_voting",
                                          "stats",
                                          "update_feature",
                                          "user_votes_of",
]
