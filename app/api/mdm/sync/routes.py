"""Sync API: push prices / a source / the whole stock pipeline as jobs (operator); job status (viewer).

POST /api/mdm/sync/stocks and /api/mdm/sync-stocks (the MERGE) are served by the MDM blueprint.
"""
from __future__ import annotations

from typing import Any

from app.api.blueprint import ApiBlueprint
from app.api.envelope import ok
from app.api.jobs import job_reply, requested_by
from app.api.mdm.sync.schemas import (
    JobAcceptedSchema,
    JobEnvelopeSchema,
    JobListArgsSchema,
    JobListSchema,
    PriceRowSchema,
    PriceSyncSchema,
    SourceBodySchema,
    SourceCodeBodySchema,
    WaitArgsSchema,
)
from app.errors import InvalidInput, NotFound
from app.security import Role, require_role
from app.services.jobs import get_jobs
from app.services.mdm.repository import get_mdm
from app.services.sync.submit import submit_price_sync, submit_stock_acknowledge, submit_stock_sync
from config.current import get_settings

blp = ApiBlueprint("sync", __name__, url_prefix="/api", description="Sync jobs: prices and stocks to Magento")


@blp.route("/mdm/sync/prices", methods=["POST"])
@blp.arguments(WaitArgsSchema, location="query")
@blp.arguments(PriceRowSchema(many=True), location="json", required=False)
@blp.response(200, PriceSyncSchema)
@blp.alt_response(202, schema=PriceSyncSchema, description="still running: poll statusUrl")
@require_role(Role.OPERATOR)
def sync_prices(args: dict[str, Any], rows: list[dict[str, Any]] | None):
    """Push prices (the posted [{sku, price}] array, or MDM's prices when the body is empty) as a job."""
    items = [{"sku": r["sku"], "price": r["price"]} for r in rows] if rows else None
    if items is not None and len(items) > 100_000:
        raise InvalidInput("At most 100000 prices per request.")
    job_id = submit_price_sync(items, requested_by=requested_by())
    wait = args["wait"] if args.get("wait") is not None else get_settings().sync.request_wait
    body, status = job_reply(job_id, wait)
    if status == 202:  # still running: the fields the frontend reads, saying so (the outcome is in the job)
        body = {"method": "job", "successful": 0, "failed": 0, "bulkId": None, "results": [], **body,
                "message": f"Price sync of {len(items) if items else 'MDM'} prices queued as job {job_id}; "
                           f"follow it at {body['statusUrl']}"}
    return body, status


@blp.route("/mdm/sync/source", methods=["POST"])
@blp.arguments(WaitArgsSchema, location="query")
@blp.arguments(SourceBodySchema, location="json")
@blp.response(202, JobAcceptedSchema)
@blp.alt_response(200, schema=JobAcceptedSchema, description="finished within `wait`")
@require_role(Role.OPERATOR)
def sync_source(args: dict[str, Any], source: dict[str, Any]):
    """Push one source's changed rows to Magento and acknowledge what Magento accepted."""
    code = source["code_source"].lstrip("0") or "0"
    if not any(s.code_source == code and s.magentoSource for s in get_mdm().sources):
        raise InvalidInput(f"Unknown or unmapped source {code}.", details={"code_source": ["unknown source"]})
    job_id = submit_stock_sync([code], merge=False, requested_by=requested_by())
    return job_reply(job_id, args.get("wait") or 0)


@blp.route("/mdm/inventory/sync-all-stocks", methods=["POST"])
@blp.arguments(WaitArgsSchema, location="query")
@blp.response(202, JobAcceptedSchema)
@blp.alt_response(200, schema=JobAcceptedSchema, description="finished within `wait`")
@require_role(Role.OPERATOR)
def sync_all_stocks(args: dict[str, Any]):
    """The whole stock pipeline: MERGE, push every source, acknowledge what Magento accepted."""
    job_id = submit_stock_sync(None, merge=True, requested_by=requested_by())
    return job_reply(job_id, args.get("wait") or 0)


@blp.route("/mdm/sync/success", methods=["POST"])
@blp.arguments(WaitArgsSchema, location="query")
@blp.arguments(SourceCodeBodySchema, location="json", required=False)
@blp.response(202, JobAcceptedSchema)
@blp.alt_response(200, schema=JobAcceptedSchema, description="finished within `wait`")
@require_role(Role.OPERATOR)
def sync_success(args: dict[str, Any], body: dict[str, Any] | None):
    """Acknowledge changed rows already confirmed in Magento (same quantity and status); never blind."""
    code = (body or {}).get("sourceCode")
    job_id = submit_stock_acknowledge([str(code)] if code is not None else None, requested_by=requested_by())
    return job_reply(job_id, args.get("wait") or 0)


@blp.route("/sync/jobs", methods=["GET"])
@blp.arguments(JobListArgsSchema, location="query")
@blp.response(200, JobListSchema)
@require_role(Role.VIEWER)
def job_list(args: dict[str, Any]):
    """Jobs, newest first; filter by kind and status."""
    page, total = get_jobs().list_jobs(**args)
    return ok([r.as_dict() for r in page], totalCount=total, limit=args["limit"], offset=args["offset"])


@blp.route("/sync/jobs/<int(max=2147483647):job_id>", methods=["GET"])
@blp.response(200, JobEnvelopeSchema)
@require_role(Role.VIEWER)
def job(job_id: int):
    """One job: status, progress per source, counts, errors with Magento's messages, result."""
    record = get_jobs().get_job(job_id)
    if record is None:
        raise NotFound(f"No job {job_id}.")
    return ok(record.as_dict())
