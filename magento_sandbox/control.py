"""/__sandbox/ control endpoints (not Magento): faults, consumer step, state, stats, login counters, reset."""
from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, jsonify, request

from .faults import FaultConfig
from .sandbox import Sandbox

bp = Blueprint("sandbox_control", __name__, url_prefix="/__sandbox")
CONTROL_HEADER = "X-Sandbox-Control"


def _sandbox() -> Sandbox:
    return current_app.extensions["magento_sandbox"]


@bp.before_request
def _guard() -> None:
    token = _sandbox().options.control_token
    if token and not hmac.compare_digest(request.headers.get(CONTROL_HEADER, ""), token):
        abort(403)


@bp.get("/faults")
def get_faults():
    return jsonify(_sandbox().faults.snapshot())


@bp.post("/faults")
def set_faults():
    data = request.get_json(silent=True)
    try:
        cfg = FaultConfig.from_json(data if data is not None else {})
    except (TypeError, ValueError) as exc:
        return jsonify({"error": str(exc)}), 400
    _sandbox().faults.set(cfg)
    return jsonify(_sandbox().faults.snapshot())


@bp.delete("/faults")
def clear_faults():
    _sandbox().faults.clear()
    return jsonify(_sandbox().faults.snapshot())


@bp.post("/consumers/run")
def run_consumers():
    data = request.get_json(silent=True) or {}
    return jsonify(_sandbox().bulks.run(bulk_uuid=data.get("bulk_uuid")))


@bp.get("/state/source-items")
def source_items():
    state = _sandbox().state
    with state.lock:
        rows = sorted(state.source_item_rows(), key=lambda r: (r["sku"], r["source_code"]))
    return jsonify(rows)


@bp.get("/state/products/<path:sku>")
def product_state(sku: str):
    state = _sandbox().state
    with state.lock:
        product = state.get_product(sku)
        if product is None:
            return jsonify({"error": "unknown sku"}), 404
        return jsonify({"sku": product["sku"], "price": product["price"], "name": product["name"],
                        "type_id": product["type_id"], "status": product["status"]})


@bp.get("/stats")
def stats():
    return jsonify(_sandbox().stats())


@bp.delete("/stats")
def reset_stats():
    _sandbox().reset_stats()
    return jsonify(_sandbox().stats())


@bp.get("/auth")
def auth_counters():
    """Admin token requests per account (as Magento's collation matches names): requests, refusals, lock."""
    return jsonify(_sandbox().tokens.snapshot())


@bp.post("/reset")
def reset():
    sandbox = _sandbox()
    sandbox.reset()
    with sandbox.state.lock:
        summary = {"products": len(sandbox.state.products), "seeded_from": sandbox.state.seeded_from}
    return jsonify(summary)


@bp.get("/info")
def info():
    sandbox = _sandbox()
    opts = sandbox.options
    with sandbox.state.lock:
        return jsonify({
            "products": len(sandbox.state.products), "seeded_from": sandbox.state.seeded_from,
            "sources": sorted(sandbox.state.sources), "token_ttl_s": sandbox.token_ttl_s(),
            "strict_limits": sandbox.strict_limits(), "consumer_delay_s": opts.consumer_delay_s,
            "admin_username": opts.admin_username, "profile": opts.profile,
            "latency_ms": list(opts.latency_ms), "source_items": len(sandbox.state.source_items),
            "orders": len(sandbox.state.orders), "customers": len(sandbox.state.customers),
            "categories": len(sandbox.state.categories),
        })
