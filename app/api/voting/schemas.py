"""Marshmallow schemas of the voting API: query strings, bodies and every response (they make the OpenAPI)."""
from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate

from app.services.voting import MAX_PAGE_SIZE, PRIORITIES, SORT_COLUMNS, STATUSES, VOTE_TYPES

IGNORED = "Ignored: the caller is the bearer token's subject (kept so the existing frontend's body is valid)."
_NO_FILTER = ("", "all")  # the grid sends empty/"all" filters; they mean "no filter", not a bad value


def _identity_field() -> fields.Field:
    return fields.Raw(allow_none=True, metadata={"description": IGNORED, "deprecated": True})


class _Body(Schema):
    class Meta:
        # The frontend posts whole objects (and identity fields we ignore); unknown keys are dropped, while
        # declared fields are still validated and reported as 400 with details.
        unknown = EXCLUDE


# ----- query strings ---------------------------------------------------------------------------------------
class FeatureListQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1), metadata={"description": "1-based"})
    pageSize = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    status = fields.String(validate=validate.OneOf(STATUSES))
    category = fields.Integer(validate=validate.Range(min=1), metadata={"description": "category id"})
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    search = fields.String(validate=validate.Length(max=200), metadata={"description": "in title or description"})
    sortBy = fields.String(load_default="vote_count", validate=validate.OneOf(sorted(SORT_COLUMNS)))
    sortOrder = fields.String(load_default="DESC", validate=validate.OneOf(["ASC", "DESC"]),
                              metadata={"description": "ASC or DESC (case-insensitive)"})

    @pre_load
    def _drop_empty_filters(self, data: Any, **_: Any) -> dict[str, Any]:
        cleaned = {key: data[key] for key in data if data[key] not in _NO_FILTER}
        if isinstance(cleaned.get("sortOrder"), str):
            cleaned["sortOrder"] = cleaned["sortOrder"].upper()
        return cleaned


class UserVotesQuerySchema(Schema):
    feature_ids = fields.String(metadata={"description": "comma-separated feature ids (optional)"})
    user_id = fields.String(metadata={"description": IGNORED, "deprecated": True})
    userId = fields.String(metadata={"description": IGNORED, "deprecated": True})

    @post_load
    def _split_ids(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        raw = data.get("feature_ids")
        if raw is None:
            data["feature_ids"] = None
            return data
        try:
            ids = [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise ValidationError("comma-separated integers expected", "feature_ids") from None
        if len(ids) > 1000:
            raise ValidationError("at most 1000 ids", "feature_ids")
        data["feature_ids"] = ids
        return data


class ReleaseNotesQuerySchema(Schema):
    release = fields.String(validate=validate.Length(max=50), metadata={"description": "only this version"})


# ----- bodies ----------------------------------------------------------------------------------------------
class VoteBodySchema(_Body):
    vote_type = fields.String(load_default="upvote", validate=validate.OneOf(VOTE_TYPES))
    user_id = _identity_field()
    userId = _identity_field()
    user_email = _identity_field()
    user_name = _identity_field()


class UnvoteBodySchema(_Body):
    """DELETE .../vote: the frontend sends {user_id} as a JSON body; it is accepted and ignored."""

    user_id = _identity_field()
    userId = _identity_field()


class _CategoryRef(fields.Field):
    """`category` as the old grid sends it: a category name, or an id (number or numeric string)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | str:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValidationError("a category id or name expected")
        if isinstance(value, int) or value.strip().isdigit():
            return int(value)
        if not value.strip() or len(value) > 100:
            raise ValidationError("1 to 100 characters")
        return value.strip()


class _FeatureFields(_Body):
    description = fields.String(validate=validate.Length(max=10_000), allow_none=True)
    category_id = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    category = _CategoryRef(allow_none=True, metadata={"description": "category name or id"})
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    target_release = fields.String(allow_none=True, validate=validate.Length(max=50))
    created_by = _identity_field()

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data.pop("created_by", None)
        if isinstance(data.get("category"), int):
            data["category_id"] = data.pop("category")
        if "description" in data and data["description"] is None:
            data["description"] = ""
        return data


class FeatureCreateSchema(_FeatureFields):
    title = fields.String(required=True, validate=validate.Length(min=3, max=200))


class FeatureUpdateSchema(_FeatureFields):
    title = fields.String(validate=validate.Length(min=3, max=200))


class StatusBodySchema(_Body):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    target_release = fields.String(allow_none=True, validate=validate.Length(max=50))


class CommentBodySchema(_Body):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    user_id = _identity_field()
    user_email = _identity_field()
    user_name = _identity_field()


# ----- responses -------------------------------------------------------------------------------------------
class FeatureSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    category_id = fields.Integer(allow_none=True)
    category_name = fields.String(allow_none=True)
    category_color = fields.String(allow_none=True)
    category = fields.String(required=True, metadata={"description": "category name (roadmap)"})
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    priority = fields.String(required=True, metadata={"enum": list(PRIORITIES)})
    vote_count = fields.Integer(required=True, metadata={"description": "upvotes - downvotes"})
    upvotes = fields.Integer(required=True)
    downvotes = fields.Integer(required=True)
    comment_count = fields.Integer(required=True)
    target_release = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class PaginationSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    pageSize = fields.Integer(required=True)
    totalPages = fields.Integer(required=True)


class _Envelope(Schema):
    success = fields.Boolean(required=True)
    message = fields.String()


class FeatureListEnvelopeSchema(_Envelope):
    data = fields.List(fields.Nested(FeatureSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class FeatureEnvelopeSchema(_Envelope):
    data = fields.Nested(FeatureSchema, required=True)


class CategorySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True)
    color = fields.String(required=True)
    sort_order = fields.Integer()
    feature_count = fields.Integer()


class CategoryListEnvelopeSchema(_Envelope):
    data = fields.List(fields.Nested(CategorySchema), required=True)


class UserVoteSchema(Schema):
    feature_id = fields.Integer(required=True)
    vote_type = fields.String(required=True, metadata={"enum": list(VOTE_TYPES)})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class UserVotesEnvelopeSchema(_Envelope):
    data = fields.List(fields.Nested(UserVoteSchema), required=True)


class VoteStateSchema(Schema):
    feature_id = fields.Integer(required=True)
    vote_type = fields.String(allow_none=True, required=True, metadata={"description": "null after removal"})
    changed = fields.Boolean(required=True, metadata={"description": "false: the request was a no-op"})
    vote_count = fields.Integer(required=True)
    upvotes = fields.Integer(required=True)
    downvotes = fields.Integer(required=True)


class VoteEnvelopeSchema(_Envelope):
    data = fields.Nested(VoteStateSchema, required=True)


class CommentSchema(Schema):
    id = fields.Integer(required=True)
    feature_id = fields.Integer(required=True)
    user_id = fields.String(required=True)
    user_name = fields.String(required=True)
    comment = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class CommentEnvelopeSchema(_Envelope):
    data = fields.Nested(CommentSchema, required=True)


class CommentListEnvelopeSchema(_Envelope):
    data = fields.List(fields.Nested(CommentSchema), required=True)


def _features() -> fields.Field:
    return fields.List(fields.Nested(FeatureSchema), required=True)


class RoadmapByStatusSchema(Schema):
    """Every status is present, possibly empty (RoadmapGrid indexes it without checking)."""

    proposed = _features()
    approved = _features()
    in_progress = _features()
    completed = _features()
    rejected = _features()
    on_hold = _features()


class ActivitySchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    updated_date = fields.DateTime(required=True)


class RoadmapSchema(Schema):
    totalFeatures = fields.Integer(required=True)
    byStatus = fields.Nested(RoadmapByStatusSchema, required=True)
    byCategory = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FeatureSchema)),
                             required=True, metadata={"description": "category name -> features"})
    recentActivity = fields.List(fields.Nested(ActivitySchema), required=True)


class CountSchema(Schema):
    name = fields.String(required=True)
    count = fields.Integer(required=True)


class StatsSchema(Schema):
    totalFeatures = fields.Integer(required=True)
    totalVotes = fields.Integer(required=True)
    totalComments = fields.Integer(required=True)
    uniqueVoters = fields.Integer(required=True)
    byStatus = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    byPriority = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    byCategory = fields.List(fields.Nested(CountSchema), required=True)
    topFeatures = fields.List(fields.Nested(FeatureSchema), required=True)


class StatsEnvelopeSchema(_Envelope):
    data = fields.Nested(StatsSchema, required=True)


class ReleaseNoteSchema(Schema):
    version = fields.String(required=True, metadata={"description": "target release, or 'unversioned'"})
    releasedAt = fields.DateTime(required=True)
    featureCount = fields.Integer(required=True)
    features = fields.List(fields.Nested(FeatureSchema), required=True)
