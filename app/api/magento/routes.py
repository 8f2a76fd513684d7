"""/api/magento: the charts and product routes first, then the catch-all proxy `ALL /api/magento/<path>`.

Werkzeug matches static segments before converters and `<path:...>` last, so the specific routes win
over the proxy whatever the order of registration (the original registered the proxy first and its
chart routes never ran); tests/magento_api checks it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from flask import Response, current_app, jsonify, request
from marshmallow import INCLUDE

from app.adapters.magento import NO_BODY
from app.api.blueprint import ApiBlueprint
from app.api.magento.schemas import (
    ANY_JSON_BODY,
    MAGENTO_ANSWER,
    AdditionalAttributesSchema,
    AttributeFillSchema,
    CategoryIdsSchema,
    CategoryRowSchema,
    ChartQuerySchema,
    InventoryRowSchema,
    NameValueSchema,
    ProductCategoriesSchema,
    ProxyQuerySchema,
    SalesRowSchema,
)
from app.api.openapi import passthrough_query
from app.api.schemas import AGE_HEADERS, ErrorSchema, OpenSchema
from app.security import Role, require_role
from app.services import snapshots
from app.services.magento import products, proxy

F = TypeVar("F", bound=Callable[..., Any])
PREFIX = "/api/magento"
PROXY_ROLES = {"GET": Role.VIEWER, "*": Role.ADMIN}
CHART_QUERY_NOTE = "Other query parameters are accepted and ignored (the frontend adds fieldName=name)."

blp = ApiBlueprint("magento", __name__, url_prefix=PREFIX,
                   description="Magento: dashboard charts, product routes and the authenticated proxy")


def passthrough_errors(func: F) -> F:
    """Document Magento's own 400/404 bodies, passed through with their status (not our envelope)."""
    func = blp.doc(**{"x-passthrough-errors": [400, 404]})(func)
    func = blp.alt_response(404, schema=OpenSchema, description="Magento's own error body ({message, parameters}) "
                            "passed through, or the envelope for a route Magento never saw")(func)
    return blp.alt_response(400, schema=OpenSchema, description="Magento's own error body passed through "
                            "(its status kept), or the envelope for input refused here")(func)


def upstream_errors(func: F) -> F:
    """Document the 503/504 a Magento outage gives (the envelope, never invented data)."""
    func = blp.alt_response(504, schema=ErrorSchema, description="Magento did not answer in time")(func)
    return blp.alt_response(503, schema=ErrorSchema, description="Magento is unreachable or refused us")(func)


def snapshot_errors(func: F) -> F:
    """Document the 503 a chart answers before its first snapshot exists (never a Magento crawl)."""
    return blp.alt_response(503, schema=ErrorSchema, headers={"Retry-After": {"schema": {"type": "integer"}}},
                            description="snapshot_pending: the dataset's first snapshot is being built "
                                        "(Retry-After); dependency_unavailable: its store is down")(func)


def _chart(path: str, schema: type, doc: str) -> None:
    """Register GET <path> answering the dataset's latest snapshot as a bare JSON array (an envelope would
    crash the chart), its age in the Age and X-Data-As-Of headers."""
    name = path.strip("/")

    def view(_args: dict[str, Any]) -> tuple[list[dict[str, Any]], int, dict[str, str]]:
        snap = snapshots.read(name)
        return snap.data, 200, snapshots.age_headers(snap)
    view.__name__ = "chart_" + name.replace("/", "_")
    view.__doc__ = doc
    view = require_role(Role.VIEWER)(view)
    view = passthrough_query(CHART_QUERY_NOTE)(view)
    view = snapshot_errors(view)
    view = blp.response(200, schema(many=True), headers=AGE_HEADERS)(view)
    view = blp.arguments(ChartQuerySchema, location="query", unknown=INCLUDE)(view)
    blp.route(path, methods=["GET"])(view)


SNAPSHOT_NOTE = " Served from the latest snapshot (built in the background; see /api/dashboard/snapshots)."
_chart("/products/stats", NameValueSchema,
       "Chart: products by status, type and merchandising flag ([{name, value}], every product counted)."
       + SNAPSHOT_NOTE)
_chart("/products/types", NameValueSchema, "Chart: products per type ([{name, value}])." + SNAPSHOT_NOTE)
_chart("/brands/distribution", NameValueSchema,
       "Chart: products per brand, from the mgs_brand attribute options ([{name, value}])." + SNAPSHOT_NOTE)
_chart("/categories/distribution", CategoryRowSchema,
       "Chart: products linked to each category ([{name, value, level, parent}], value > 0)." + SNAPSHOT_NOTE)
_chart("/sales/performance", SalesRowSchema,
       "Chart: revenue, orders and distinct customers per month ([{period, revenue, orders, customers}])."
       + SNAPSHOT_NOTE)
_chart("/inventory/status", InventoryRowSchema,
       "Chart: SKUs in, low and out of stock and stock value per category, from the MSI source items."
       + SNAPSHOT_NOTE)


@blp.route("/products/attributes", methods=["GET"])
@blp.arguments(ChartQuerySchema, location="query", unknown=INCLUDE)
@blp.doc(responses={"200": {
    "description": "without searchCriteria: the chart rows [{attribute, value}] from the latest snapshot "
                   "(Age and X-Data-As-Of headers); with it: Magento's {items, search_criteria, total_count}",
    "headers": AGE_HEADERS,
    "content": {"application/json": {"schema": {"oneOf": [
        {"type": "array", "items": {"type": "object", "required": ["attribute", "value"], "properties": {
            "attribute": {"type": "string"}, "value": {"type": "number"}}}},
        {"type": "object"}]}}}}})
@upstream_errors
@passthrough_errors
@passthrough_query("searchCriteria[...] and other parameters are forwarded to Magento unchanged.")
@require_role(Role.VIEWER)
def product_attributes(_args: dict[str, Any]):
    """Attribute fill chart when called without searchCriteria; Magento's attribute search with it."""
    if b"searchCriteria" in request.query_string:
        return _proxied(proxy.forward("GET", "products/attributes", request.query_string))
    snap = snapshots.read("products/attributes")
    resp = jsonify(AttributeFillSchema(many=True).dump(snap.data))
    resp.headers.update(snapshots.age_headers(snap))
    return resp


@blp.route("/products/<int:product_id>/categories", methods=["GET"])
@blp.arguments(ChartQuerySchema, location="query", unknown=INCLUDE)
@blp.response(200, ProductCategoriesSchema)
@upstream_errors
@passthrough_errors
@passthrough_query(CHART_QUERY_NOTE)
@require_role(Role.VIEWER)
def product_categories(_args: dict[str, Any], product_id: int):
    """The categories the product (by Magento entity id) is linked to."""
    return products.categories(product_id)


@blp.route("/products/<int:product_id>/categories", methods=["PUT"])
@blp.arguments(CategoryIdsSchema)
@blp.response(200, ProductCategoriesSchema)
@upstream_errors
@passthrough_errors
@require_role(Role.ADMIN)
def set_product_categories(args: dict[str, Any], product_id: int):
    """Replace the product's category links (Magento's product category_links); answers the new list."""
    return products.set_categories(product_id, args["categoryIds"])


@blp.route("/products/<int:product_id>/additional-attributes", methods=["GET"])
@blp.arguments(ChartQuerySchema, location="query", unknown=INCLUDE)
@blp.response(200, AdditionalAttributesSchema)
@upstream_errors
@passthrough_errors
@passthrough_query(CHART_QUERY_NOTE)
@require_role(Role.VIEWER)
def product_additional_attributes(_args: dict[str, Any], product_id: int):
    """The product's custom attributes with their labels (brand name for mgs_brand)."""
    return products.additional_attributes(product_id)


# -- the catch-all proxy --------------------------------------------------------------------------------
def _raw_path(decoded: str) -> str:
    """The proxied path as the client sent it, so an encoded '/' in a SKU (%2F) stays encoded."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    raw = raw.split("?", 1)[0]
    if "://" in raw:  # absolute-form request target
        raw = "/" + raw.split("://", 1)[1].partition("/")[2]
    if raw.startswith(PREFIX + "/"):
        return raw[len(PREFIX) + 1:]
    return quote(decoded, safe="/")


def _json_body() -> Any:
    if not request.get_data(cache=True):
        return NO_BODY  # the frontend sends some writes without a body (DELETE)
    return request.get_json(force=True)  # malformed JSON -> 400 malformed_json (app/error_handlers.py)


def _proxied(result: proxy.ProxyResult) -> Response:
    if result.raw:  # Magento's own JSON bytes (validated by the client): no second encoding
        resp = current_app.response_class(result.raw, status=result.status, mimetype="application/json")
    else:
        resp = jsonify(result.body)
        resp.status_code = result.status
    for name, value in result.headers.items():
        if name.lower() != "content-type":
            resp.headers[name] = value
    resp.headers["X-Cache"] = result.cache.upper()
    if result.fill is not None:
        resp.call_on_close(result.run_fill)  # after the body is sent: the client never waits for the fill
    return resp


@blp.route("/<path:path>", methods=["GET"], merge_slashes=False)
@blp.arguments(ProxyQuerySchema, location="query", unknown=INCLUDE)
@blp.doc(responses={"200": MAGENTO_ANSWER})
@upstream_errors
@passthrough_errors
@passthrough_query("searchCriteria[...] and any other parameter are forwarded to Magento byte for byte.")
@require_role(PROXY_ROLES)
def proxy_read(_args: dict[str, Any], path: str):
    """Magento GET through the backend (cached per resource); status and JSON body passed through."""
    return _proxied(proxy.forward("GET", _raw_path(path), request.query_string))


@blp.route("/<path:path>", methods=["POST", "PUT", "DELETE"], merge_slashes=False)
@blp.arguments(ProxyQuerySchema, location="query", unknown=INCLUDE)
@blp.doc(requestBody=ANY_JSON_BODY, responses={"200": MAGENTO_ANSWER})
@upstream_errors
@passthrough_errors
@passthrough_query("Query parameters are forwarded to Magento byte for byte.")
@require_role(PROXY_ROLES)
def proxy_write(_args: dict[str, Any], path: str):
    """Magento write through the backend (admin); clears the cached reads of the same resource."""
    return _proxied(proxy.forward(request.method, _raw_path(path), request.query_string, _json_body()))
