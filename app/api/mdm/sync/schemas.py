"""Request and response schemas of the sync API (the price-sync fields are the ones the frontend reads)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.adapters.appdb_tables import JOB_STATUSES
from app.api.bounds import Price
from app.api.schemas import JobAcceptedSchema  # noqa: F401  (re-exported for the sync routes)


class PriceRowSchema(Schema):
    """One row of GET /api/mdm/prices, posted back unchanged (extra keys ignored)."""

    class Meta:
        unknown = EXCLUDE

    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    price = Price(required=True)


class WaitArgsSchema(Schema):
    wait = fields.Float(load_default=None, validate=validate.Range(min=0, max=25),
                        metadata={"description": "seconds to wait for the job before answering 202 "
                                                 "(default SYNC_REQUEST_WAIT for prices, 0 otherwise)"})


class SourceBodySchema(Schema):
    """A source object from GET /api/mdm/sources; only code_source is used."""

    class Meta:
        unknown = EXCLUDE

    code_source = fields.String(required=True, validate=validate.Regexp(r"^\d{1,9}$"))
    source = fields.String()
    magentoSource = fields.String()
    succursale = fields.String()


class SourceCodeBodySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    sourceCode = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))


class PriceResultSchema(Schema):
    sku = fields.String()
    price = fields.Float(allow_none=True)
    status = fields.String(metadata={"enum": ["success", "failed"]})
    method = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    response = fields.Raw(allow_none=True)


class PriceSyncSchema(JobAcceptedSchema):
    method = fields.String(metadata={"description": "bulk, base-prices, bulk+base-prices, or job (still running)"})
    successful = fields.Integer()
    failed = fields.Integer()
    total = fields.Integer()
    bulkId = fields.String(allow_none=True)
    bySuccessMethod = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                  metadata={"description": "successful prices per method (bulk, base-prices)"})
    results = fields.List(fields.Nested(PriceResultSchema),
                          metadata={"description": "the failed items only (at most 1000); successes are counted"})
    resultsTruncated = fields.Boolean(metadata={"description": "more than 1000 items failed"})


class JobSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    params = fields.Dict()
    status = fields.String(metadata={"enum": list(JOB_STATUSES)})
    waitingOn = fields.String(allow_none=True)
    progress = fields.Dict()
    counts = fields.Dict()
    errors = fields.List(fields.Dict())
    result = fields.Dict(allow_none=True)
    message = fields.String(allow_none=True)
    requestedBy = fields.String(allow_none=True)
    attempts = fields.Integer()
    maxAttempts = fields.Integer()
    leaseOwner = fields.String(allow_none=True)
    leaseExpiresAt = fields.String(allow_none=True)
    heartbeatAt = fields.String(allow_none=True)
    createdAt = fields.String(allow_none=True)
    startedAt = fields.String(allow_none=True)
    finishedAt = fields.String(allow_none=True)
    updatedAt = fields.String(allow_none=True)
    durationSeconds = fields.Float(allow_none=True)


class JobEnvelopeSchema(Schema):
    success = fields.Boolean(required=True)
    data = fields.Nested(JobSchema)


class JobListArgsSchema(Schema):
    kind = fields.String(load_default=None, validate=validate.Length(max=40))
    status = fields.String(load_default=None, validate=validate.OneOf(JOB_STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class JobListSchema(Schema):
    success = fields.Boolean(required=True)
    data = fields.List(fields.Nested(JobSchema))
    totalCount = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()
