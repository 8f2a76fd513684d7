"""Inputs and outputs of /api/dashboard: the original's envelope `{success, data, cached, timestamp}`, and the
snapshot status and refresh of the operator."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class DashboardListQuerySchema(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class _DashboardEnvelope(Schema):
    success = fields.Boolean(required=True)
    cached = fields.Boolean(required=True, metadata={"description": "served from the cache"})
    timestamp = fields.String(required=True, metadata={"description": "ISO 8601, when the answer was built"})


class DashboardStatsSchema(Schema):
    totalProducts = fields.Integer(required=True)
    enabledProducts = fields.Integer(required=True)
    totalOrders = fields.Integer(required=True)
    pendingOrders = fields.Integer(required=True)
    totalCustomers = fields.Integer(required=True)
    recentOrders = fields.Integer(required=True, metadata={"description": "orders of the last recentDays days"})
    recentRevenue = fields.Float(required=True, metadata={"description": "their grand totals (canceled excluded)"})
    recentDays = fields.Integer(required=True)


class DashboardStatsEnvelopeSchema(_DashboardEnvelope):
    data = fields.Nested(DashboardStatsSchema, required=True)


class DashboardListSchema(Schema):
    items = fields.List(fields.Dict(), required=True, metadata={"description": "Magento's fields, trimmed"})
    total = fields.Integer(required=True)


class DashboardListEnvelopeSchema(_DashboardEnvelope):
    data = fields.Nested(DashboardListSchema, required=True)


class MagentoHealthSchema(Schema):
    status = fields.String(required=True)
    responseTimeMs = fields.Float(required=True)
    storeCount = fields.Integer(required=True)
    baseCurrency = fields.String(allow_none=True)
    baseUrl = fields.String(allow_none=True)


class DashboardHealthSchema(Schema):
    magento = fields.Nested(MagentoHealthSchema, required=True)


class DashboardHealthEnvelopeSchema(_DashboardEnvelope):
    data = fields.Nested(DashboardHealthSchema, required=True)


SNAPSHOT_GROUPS = ("catalog", "sales", "inventory")


class SnapshotRefreshSchema(Schema):
    full = fields.Boolean(load_default=False, metadata={"description": "re-read everything (else what changed)"})
    groups = fields.List(fields.String(validate=validate.OneOf(SNAPSHOT_GROUPS)), load_default=None,
                         validate=validate.Length(min=1, max=len(SNAPSHOT_GROUPS)),
                         metadata={"description": "what to read: catalog (products, categories, brands, "
                                                  "attributes), sales (orders), inventory (source items); "
                                                  "default all"})


class SnapshotEntrySchema(Schema):
    name = fields.String(required=True, metadata={"description": "the dataset, e.g. inventory/status"})
    status = fields.String(required=True, metadata={"enum": ["ready", "pending"]})
    asOf = fields.String(metadata={"description": "when its data was read from Magento (ISO 8601 UTC)"})
    ageSeconds = fields.Integer()
    builtAt = fields.String()
    jobId = fields.Integer(allow_none=True)
    bytes = fields.Integer(metadata={"description": "stored size (compressed)"})


class SnapshotStatusSchema(Schema):
    backend = fields.String(required=True, metadata={"enum": ["redis", "app_database"]})
    datasets = fields.List(fields.Nested(SnapshotEntrySchema), required=True)
    workingSet = fields.Dict(allow_none=True, metadata={"description": "the job's per-entity aggregates"})
    job = fields.Dict(allow_none=True, metadata={"description": "the build queued or running now"})
    lastJob = fields.Dict(allow_none=True, metadata={"description": "the newest build"})


class SnapshotStatusEnvelopeSchema(Schema):
    success = fields.Boolean(required=True)
    data = fields.Nested(SnapshotStatusSchema, required=True)
