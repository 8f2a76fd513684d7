"""/api/task/...: the voting grid's API ({success, data, ...} envelopes), as the React VotingPage calls it.

Reads, votes and comments: viewer (every caller votes as the token's subject). Creating and editing
features: admin. Vote policy (see app/services/voting/votes.py): same vote again = no-op, the other
type = switch, DELETE without a vote = no-op.
"""
from __future__ import annotations

from app.adapters.appdb import get_app_engine
from app.api.blueprint import ApiBlueprint
from app.api.envelope import ok
from app.api.voting import operations
from app.api.voting import schemas as s
from app.api.voting.common import caller, documented_errors
from app.security import Role, require_role
from app.services import voting

blp = ApiBlueprint("voting_task", __name__, url_prefix="/api/task",
                   description="Feature voting: features, categories, votes, comments (enveloped)")
FEATURE = "/features/<int(min=1, max=2147483647):feature_id>"


@blp.route("/features", methods=["GET"])
@blp.arguments(s.FeatureListQuerySchema, location="query")
@blp.response(200, s.FeatureListEnvelopeSchema)
@documented_errors(blp)
@require_role(Role.VIEWER)
def list_features(args):
    """Features, filtered (status, category id, priority, search), sorted (sortBy, sortOrder) and paged."""
    return operations.list_features(args)


@blp.route("/features", methods=["POST"])
@blp.arguments(s.FeatureCreateSchema)
@blp.response(201, s.FeatureEnvelopeSchema)
@documented_errors(blp)
@require_role(Role.ADMIN)
def create_feature(body):
    """Propose a feature (admin). `category` may be a name or an id; `created_by` is the caller."""
    return operations.create_feature(body)


@blp.route(FEATURE, methods=["GET"])
@blp.response(200, s.FeatureEnvelopeSchema)
@documented_errors(blp)
@require_role(Role.VIEWER)
def get_feature(feature_id: int):
    """One feature."""
    return ok(voting.get_feature(get_app_engine(), feature_id))


@blp.route(FEATURE, methods=["PUT"])
@blp.arguments(s.FeatureUpdateSchema)
@blp.response(200, s.FeatureEnvelopeSchema)
@documented_errors(blp)
@require_role(Role.ADMIN)
def update_feature(body, feature_id: int):
    """Edit a feature (admin): only the fields present change; read-only fields in the body are ignored."""
    return ok(voting.update_feature(get_app_engine(), feature_id, body), message="Feature updated")


@blp.route(FEATURE + "/vote", methods=["POST"])
@blp.arguments(s.VoteBodySchema, required=False)
@blp.response(200, s.VoteEnvelopeSchema)
@documented_errors(blp, 409)
@require_role(Role.VIEWER)
def vote(body, feature_id: int):
    """Vote as the caller: the same vote again is a no-op (`changed: false`), the other type switches."""
    return operations.cast_vote(body, feature_id)


@blp.route(FEATURE + "/vote", methods=["DELETE"])
@blp.arguments(s.UnvoteBodySchema, required=False)
@blp.response(200, s.VoteEnvelopeSchema)
@documented_errors(blp, 409)
@require_role(Role.VIEWER)
def unvote(body, feature_id: int):
    """Withdraw the caller's vote (the optional JSON body `{user_id}` is accepted and ignored)."""
    return operations.remove_vote(feature_id)


@blp.route("/user-votes", methods=["GET"])
@blp.arguments(s.UserVotesQuerySchema, location="query")
@blp.response(200, s.UserVotesEnvelopeSchema)
@documented_errors(blp)
@require_role(Role.VIEWER)
def user_votes(args):
    """The caller's votes (optionally only on `feature_ids`); a `user_id` query parameter is ignored."""
    return operations.user_votes(args)


@blp.route("/categories", methods=["GET"])
@blp.response(200, s.CategoryListEnvelopeSchema)
@documented_errors(blp)
@require_role(Role.VIEWER)
def categories():
    """Every category (id, name, color) with its number of features."""
    return ok(voting.list_categories(get_app_engine()))


@blp.route("/stats", methods=["GET"])
@blp.response(200, s.StatsEnvelopeSchema)
@documented_errors(blp)
@require_role(Role.VIEWER)
def stats():
    """Totals: features by status, priority and category, votes, voters, comments, top features."""
    return ok(voting.stats(get_app_engine()))


@blp.route(FEATURE + "/comments", methods=["GET"])
@blp.response(200, s.CommentListEnvelopeSchema)
@documented_errors(blp)
@require_role(Role.VIEWER)
def list_comments(feature_id: int):
    """A feature's comments, oldest first."""
    return ok(voting.list_comments(get_app_engine(), feature_id))


@blp.route(FEATURE + "/comments", methods=["POST"])
@blp.arguments(s.CommentBodySchema)
@blp.response(201, s.CommentEnvelopeSchema)
@documented_errors(blp)
@require_role(Role.VIEWER)
def add_comment(body, feature_id: int):
    """Comment as the caller (user_id, user_email, user_name in the body are ignored)."""
    comment = voting.add_comment(get_app_engine(), feature_id, caller(), body["comment"])
    return ok(comment, message="Comment added")
