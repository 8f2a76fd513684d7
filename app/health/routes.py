"""GET /api/health (liveness), /api/health/ready (readiness), /api/health/detailed (viewer)."""
from __future__ import annotations

import datetime as dt
import os
import platform

import psutil
from flask import jsonify
from marshmallow import Schema, fields

from app import lifecycle
from app.api.blueprint import ApiBlueprint
from app.extensions import talisman
from app.security import Role, public, require_role
from app.services.health import get_health
from config.current import get_settings

blp = ApiBlueprint("health", __name__, url_prefix="/api/health", description="Health probes")
HEALTH_JSON = "application/health+json"


class LivenessSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["pass", "warn", "fail"]})
    version = fields.String()
    serviceId = fields.String()
    uptime = fields.Float(metadata={"description": "seconds since this worker started"})
    environment = fields.String()
    port = fields.Integer()
    timestamp = fields.String()


class HealthReportSchema(LivenessSchema):
    description = fields.String()
    notes = fields.List(fields.String())
    checks = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))
    system = fields.Dict()


def _health_reply(body: dict, status: int):
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = HEALTH_JSON
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _base() -> dict:
    settings = get_settings()
    return {"version": lifecycle.VERSION, "serviceId": "techno-etl-backend", "environment": settings.env,
            "port": settings.server.port, "uptime": round(lifecycle.uptime(), 1),
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


@blp.route("", methods=["GET"])
@blp.response(200, LivenessSchema, content_type=HEALTH_JSON)
@talisman(force_https=False)
@public
def liveness():
    """Liveness: the process answers. Calls no dependency (a restart storm would follow)."""
    return _health_reply({"status": "pass", **_base()}, 200)


@blp.route("/ready", methods=["GET"])
@blp.response(200, HealthReportSchema, content_type=HEALTH_JSON)
@blp.alt_response(503, schema=HealthReportSchema, content_type=HEALTH_JSON,
                  description="Starting, draining, or a required dependency fails")
@talisman(force_https=False)
@public
def readiness():
    """Readiness: 503 while starting, while draining after SIGTERM, or when a critical check fails."""
    phase = lifecycle.phase()
    if phase != "ready":
        return _health_reply({"status": "fail", "notes": [f"worker is {phase}"], **_base()}, 503)
    registry = get_health()
    report = registry.run(registry.critical_names()) if registry.critical_names() else {"status": "pass", "checks": {}}
    status = "fail" if report["status"] == "fail" else "pass"
    # Public: statuses only; the outputs (driver errors, hosts) are for /detailed, which needs a token.
    checks = {key: [{"componentId": e["componentId"], "status": e["status"]} for e in entries]
              for key, entries in report["checks"].items()}
    body = {"status": status, **_base(), "checks": checks}
    notes = [e["note"] for entries in report["checks"].values() for e in entries if e.get("note")]
    if notes:  # e.g. which MDM tables are missing and the command that creates them
        body["notes"] = notes
    return _health_reply(body, 503 if status == "fail" else 200)


@blp.route("/detailed", methods=["GET"])
@blp.response(200, HealthReportSchema, content_type=HEALTH_JSON)
@blp.alt_response(503, schema=HealthReportSchema, content_type=HEALTH_JSON, description="A critical check fails")
@talisman(force_https=False)
@require_role(Role.VIEWER)
def detailed():
    """Every registered check (database, redis, magento, image pool, memory, disk, scheduler)."""
    report = get_health().run()
    proc = psutil.Process(os.getpid())
    system = {
        "version": lifecycle.VERSION, "platform": platform.platform(), "python": platform.python_version(),
        "pid": os.getpid(), "uptime": round(lifecycle.uptime(), 1), "phase": lifecycle.phase(),
        "memory": {"rss": proc.memory_info().rss, "systemAvailable": psutil.virtual_memory().available},
        "cpu": {"count": psutil.cpu_count(), "loadAverage": list(os.getloadavg())},
    }
    body = {"status": report["status"], **_base(), "checks": report["checks"], "system": system}
    return _health_reply(body, 503 if report["status"] == "fail" else 200)
