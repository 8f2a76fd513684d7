"""Response schemas of the JSON metrics endpoints (what the OpenAPI document promises)."""
from __future__ import annotations

from marshmallow import Schema, fields


class RequestStatsSchema(Schema):
    total = fields.Integer()
    success = fields.Integer()
    errors = fields.Integer()
    serverErrors = fields.Integer()
    rate = fields.Float(metadata={"description": "requests per second since the service started"})
    errorRate = fields.Float()
    avgResponseTime = fields.Float(allow_none=True, metadata={"description": "ms"})
    p50ResponseTime = fields.Float(allow_none=True)
    p95ResponseTime = fields.Float(allow_none=True)
    p99ResponseTime = fields.Float(allow_none=True)
    byStatus = fields.Dict(keys=fields.String(), values=fields.Integer())


class CacheStatsSchema(Schema):
    hits = fields.Integer()
    misses = fields.Integer()
    sets = fields.Integer()
    deletes = fields.Integer()
    errors = fields.Integer()
    hitRate = fields.Float()
    totalOperations = fields.Integer()
    cacheType = fields.String()
    backend = fields.String(metadata={"enum": ["redis", "memory"]})
    redisConfigured = fields.Boolean()
    reason = fields.String(allow_none=True)
    fallbackSwitches = fields.Integer()
    workersOnFallback = fields.Integer()


class DatabaseStatsSchema(Schema):
    queries = fields.Integer()
    errors = fields.Integer()
    errorRate = fields.Float()
    avgResponseTime = fields.Float(allow_none=True)
    p95ResponseTime = fields.Float(allow_none=True)


class WorkerSchema(Schema):
    pid = fields.Integer()
    requests = fields.Integer()
    ageSeconds = fields.Float(allow_none=True)


class WorkersSchema(Schema):
    workers = fields.List(fields.Nested(WorkerSchema))
    recycles = fields.Dict(keys=fields.String(), values=fields.Integer())


class MetricsSchema(Schema):
    uptime = fields.Float()
    timestamp = fields.String()
    requests = fields.Nested(RequestStatsSchema)
    cache = fields.Nested(CacheStatsSchema)
    database = fields.Nested(DatabaseStatsSchema)
    workers = fields.Nested(WorkersSchema)
    sync = fields.Dict()
    images = fields.Dict()
    breakers = fields.Dict()


class PerformanceSchema(WorkersSchema):
    timestamp = fields.String()
    requests = fields.Nested(RequestStatsSchema)
    database = fields.Nested(DatabaseStatsSchema)


class CacheSectionSchema(CacheStatsSchema):
    timestamp = fields.String()


class SyncSectionSchema(Schema):
    timestamp = fields.String()
    jobs = fields.Dict()
    items = fields.Dict()
    lastSuccess = fields.Dict()
    schedule = fields.List(fields.Dict())
    success = fields.Integer()
    failures = fields.Integer()
    successRate = fields.Float()
    avgDuration = fields.Float(allow_none=True)
    durationP95 = fields.Float(allow_none=True)
    batchLatency = fields.Dict()


class WorkerRowSchema(Schema):
    pid = fields.Integer()
    ageSeconds = fields.Float()
    requests = fields.Integer()
    cpuPercent = fields.Float()
    memoryMb = fields.Float(metadata={"description": "USS of the worker plus its image pool, MiB"})
    poolProcesses = fields.Integer()


class WorkerTableSchema(Schema):
    timestamp = fields.String()
    masterPid = fields.Integer(allow_none=True, metadata={"description": "null when not under Gunicorn"})
    underGunicorn = fields.Boolean()
    memoryLimitMb = fields.Float(metadata={"description": "MAX_WORKER_MEMORY: a worker above it is recycled"})
    workers = fields.List(fields.Nested(WorkerRowSchema))
    recycles = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "by reason"})
