"""The voting operations once: each calls the voting service and renders the one success envelope.

/api/task answers the envelope; the /api/voting aliases (the original's bare contract) answer its `data`.
"""
from __future__ import annotations

import math
from typing import Any

from app.adapters.appdb import get_app_engine
from app.api.envelope import ok
from app.api.voting.common import caller, feature_query
from app.services import voting


def list_features(args: dict[str, Any]) -> dict[str, Any]:
    page = voting.list_features(get_app_engine(), feature_query(args))
    return ok(page.items, message=f"{len(page.items)} of {page.total} features",
              pagination={"total": page.total, "page": page.page, "pageSize": page.page_size,
                          "totalPages": math.ceil(page.total / page.page_size) if page.total else 0})


def create_feature(body: dict[str, Any]) -> dict[str, Any]:
    return ok(voting.create_feature(get_app_engine(), created_by=caller(), **body), message="Feature created")


def cast_vote(body: dict[str, Any], feature_id: int) -> dict[str, Any]:
    state = voting.cast_vote(get_app_engine(), feature_id, caller(), body["vote_type"])
    return ok(state.as_dict(), message="Vote recorded" if state.changed else "Vote unchanged")


def remove_vote(feature_id: int) -> dict[str, Any]:
    state = voting.remove_vote(get_app_engine(), feature_id, caller())
    return ok(state.as_dict(), message="Vote removed" if state.changed else "No vote to remove")


def user_votes(args: dict[str, Any]) -> dict[str, Any]:
    return ok(voting.user_votes_of(get_app_engine(), caller(), args["feature_ids"]))
