"""Outputs of /api/dashboard: the original's envelope `{success, data, cached, timestamp}`."""
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
