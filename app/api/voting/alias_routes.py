"""/api/voting/...: the roadmap (live) and the original's aliases, answering BARE JSON (no envelope).

The aliases run the same operations as /api/task (app/api/voting/operations.py) and answer the envelope's
`data`: one service call and one envelope per operation, two URL contracts.

RoadmapGrid reads `response.data.byStatus` directly and the old VotingGrid expects bare arrays, so these
routes return the object or array itself; errors still use the one error envelope.
"""
from __future__ import annotations

from app.adapters.appdb import get_app_engine
from app.api.blueprint import ApiBlueprint
from app.api.voting import operations
from app.api.voting import schemas as s
from app.api.voting.common import documented_errors
from app.security import Role, require_role
from app.services import voting

blp = ApiBlueprint("voting", __name__, url_prefix="/api/voting",
                   description="Feature voting: roadmap, release notes and the original's bare aliases")
FEATURE = "/features/<int(min=1, max=2147483647):feature_id>"


@blp.route("/roadmap", methods=["GET"])
@blp.response(200, s.RoadmapSchema)
@documented_errors(blp)
@require_role(Role.VIEWER)
def roadmap():
    # one line on purpose: the docstring is the OpenAPI summary, and a wrapped one would carry a newline
    """{totalFeatures, byStatus{proposed|approved|in_progress|completed|rejected|on_hold}, byCategory, recentActivity}."""  # noqa: E501
    return voting.roadmap(get_app_engine())


@blp.route("/features", methods=["GET"])
@blp.arguments(s.FeatureListQuerySchema, location="query")
@blp.response(200, s.FeatureSchema(many=True))
@documented_errors(blp)
@require_role(Role.VIEWER)
def list_features(args):
    """Features as a bare array (same filters and paging as /api/task/features)."""
    return operations.list_features(args)["data"]


@blp.route("/features", methods=["POST"])
@blp.arguments(s.FeatureCreateSchema)
@blp.response(201, s.FeatureSchema)
@documented_errors(blp)
@require_role(Role.ADMIN)
def create_feature(body):
    """Create a feature (admin); answers the bare feature."""
    return operations.create_feature(body)["data"]


@blp.route(FEATURE + "/vote", methods=["POST"])
@blp.arguments(s.VoteBodySchema, required=False)
@blp.response(200, s.VoteStateSchema)
@documented_errors(blp, 409)
@require_role(Role.VIEWER)
def vote(body, feature_id: int):
    """Vote as the caller (default upvote; `userId` in the body is ignored)."""
    return operations.cast_vote(body, feature_id)["data"]


@blp.route(FEATURE + "/vote", methods=["DELETE"])
@blp.arguments(s.UnvoteBodySchema, required=False)
@blp.response(200, s.VoteStateSchema)
@documented_errors(blp, 409)
@require_role(Role.VIEWER)
def unvote(body, feature_id: int):
    """Withdraw the caller's vote (JSON body `{userId}` accepted and ignored)."""
    return operations.remove_vote(feature_id)["data"]


@blp.route("/votes/user", methods=["GET"])
@blp.arguments(s.UserVotesQuerySchema, location="query")
@blp.response(200, s.UserVoteSchema(many=True))
@documented_errors(blp)
@require_role(Role.VIEWER)
def user_votes(args):
    """The caller's votes as a bare array (a `userId` query parameter is ignored)."""
    return operations.user_votes(args)["data"]


@blp.route(FEATURE + "/status", methods=["PUT"])
@blp.arguments(s.StatusBodySchema)
@blp.response(200, s.FeatureSchema)
@documented_errors(blp)
@require_role(Role.ADMIN)
def change_status(body, feature_id: int):
    """Move a feature to another status, optionally setting its target release (admin)."""
    return voting.change_status(get_app_engine(), feature_id, body["status"], body.get("target_release"))


@blp.route("/release-notes", methods=["GET"])
@blp.arguments(s.ReleaseNotesQuerySchema, location="query")
@blp.response(200, s.ReleaseNoteSchema(many=True))
@documented_errors(blp)
@require_role(Role.VIEWER)
def release_notes(args):
    """Completed features grouped by target release, newest first."""
    return voting.release_notes(get_app_engine(), args.get("release"))
