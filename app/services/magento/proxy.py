"""The authenticated Magento proxy: route normalisation, per-resource GET cache, invalidation by writes.

GET answers are cached per resource namespace (`magento.products`, `magento.orders`, ...), keyed by the
normalised route and the raw query string (times in it floored to the minute, see `_cache_key`). A write
through the proxy clears the namespace of its resource (and of the resources whose answers it changes),
plus the charts and dashboard built on them.
Routes to Magento's token endpoints are refused: the admin token never reaches a client.
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import unquote

from app.adapters.cache import get_cache
from app.adapters.magento import NO_BODY, MagentoClient, MagentoResponse, get_magento_client
from app.adapters.magento.paths import apply_prefix_rule
from app.errors import NotFound, UpstreamTimeout
from app.services.magento.single_flight import SingleFlight
from app.telemetry import counter
from config.current import get_settings

log = logging.getLogger(__name__)

NAMESPACE_PREFIX = "magento."
ANALYTICS_NAMESPACE = "analytics"
DASHBOARD_NAMESPACE = "dashboard"
# Resources with a namespace of their own; anything else shares `magento.other`. A fixed list keeps
# the namespaces (and the cache metric labels) bounded whatever path a caller sends.
RESOURCES = frozenset({
    "products", "orders", "customers", "invoices", "cmsPage", "cmsBlock", "inventory", "categories",
    "store", "bulk", "creditmemos", "shipments", "attributeMetadata", "eav",
})
# A write to a resource also changes what these other resources answer (product saves move category
# counts and stock items; category and stock writes show up in product reads).
RELATED = {
    "products": ("categories", "inventory"),
    "categories": ("products",),
    "inventory": ("products",),
    "orders": ("invoices", "customers"),
}
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})

PROXY_CALLS = counter("magento_proxy_requests_total", "Proxy calls by resource, method and cache result.",
                      ("resource", "method", "cache"))


@dataclass(frozen=True)
class ProxyResult:
    """What the route returns: Magento's status, JSON body and pass-through headers, and the cache result."""

    status: int
    body: Any
    headers: dict[str, str]
    cache: str  # "hit" | "miss" | "shared" (another request's identical read answered) | "bypass"
    # Magento's JSON body as received (validated by the client), when there is one: answered as is, since
    # encoding the decoded body again cost ~0.7 ms per 20-product page (issue 14, proxy overhead).
    raw: bytes = b""
    # A miss's cache fill, for the caller to run once the answer is sent (Response.call_on_close): the
    # client does not wait for Redis. Generation-checked, so it never overwrites a later invalidation.
    fill: Callable[[], bool] | None = None

    def run_fill(self) -> None:
        """Run the deferred cache fill; a failure is logged, never raised (the answer is already out)."""
        if self.fill is None:
            return
        try:
            self.fill()
        except Exception:  # noqa: BLE001 - after the response: nothing to answer with, keep the worker going
            log.exception("magento proxy: deferred cache fill failed")


# Identical uncached GETs in flight in this worker make one Magento call (single_flight.py).
_reads: SingleFlight[MagentoResponse] = SingleFlight()


def _follower_wait(client: MagentoClient) -> float:
    """How long a request waits for an identical one's Magento call: that call's own budget (it ends by
    then, slot wait and retries included) and a second for its answer to reach us."""
    budget = client.config.retry.max_time
    if client.config.request_budget is not None:
        budget = min(budget, client.config.request_budget)
    return budget + 1.0


def normalise(path: str) -> str:
    """The Magento route for a proxied path (strip, collapse slashes, the original's V1/ prefix rule).

    Raises NotFound for dot segments: `V1/../..` would leave Magento's REST area with our admin token.
    """
    route = apply_prefix_rule(path).rstrip("/")
    if any(unquote(part).strip() in (".", "..") for part in route.split("/")):
        raise NotFound("Dot segments are not allowed in a Magento route.")
    return route


def resource_of(route: str) -> str:
    """`V1/products/SKU-1/media` -> `products`; `async/bulk/V1/products` -> `products`; else `other`."""
    parts = [p for p in route.split("/") if p]
    if parts[:2] == ["async", "bulk"]:
        parts = parts[2:]
    if parts and parts[0] == "V1":
        parts = parts[1:]
    name = parts[0] if parts else ""
    return name if name in RESOURCES else "other"


def namespace_for(resource: str) -> str:
    return f"{NAMESPACE_PREFIX}{resource}"


def ttl_for(namespace: str) -> int:
    """The namespace's own tier from CACHE_TTLS (e.g. `magento.orders:300`), else the `magento` tier."""
    ttls = get_settings().cache.ttls
    return int(ttls.get(namespace, ttls.get("magento", ttls.get("default", 300))))


# An ISO-8601 time with seconds in a query value, raw or percent-encoded (`T00:53:12.345Z`,
# `T00%3A53%3A12.000Z`): kept to the minute as `T00:53`, the seconds and fraction dropped.
_SECONDS = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d)(?::|%3A)(\d\d)(?::|%3A)\d\d(?:\.\d{1,9})?", re.IGNORECASE)


def _cache_key(route: str, raw_query: bytes) -> str:
    """The cache key of a GET: hashed (the raw query may be long and carry any bytes), route and query, with
    times in the query floored to the minute.

    The dashboard asks for `orders` with created_at between "30 days ago" and "now" as the browser's clock
    gives them (ISO times with seconds), so its URL never repeats and every dashboard missed the cache and
    waited for Magento (issue 14: the slowest of the 22 calls). Floored, the dashboards of the same minute
    share one answer: it lacks at most the orders of that minute at the window's edges, far fresher than
    the `magento` tier's hours for every other list. The query still reaches Magento untouched."""
    if b":" in raw_query or b"%3A" in raw_query or b"%3a" in raw_query:  # no colon, no time: skip the regex
        raw_query = _SECONDS.sub(rb"\1:\2", raw_query)  # ~8 us on the dashboard's 460-byte orders query
    return hashlib.sha256(route.encode("utf-8") + b"?" + raw_query).hexdigest()


def _refuse_token_routes(route: str) -> None:
    # POST V1/integration/admin/token would hand a Magento admin token to the caller: the login routes
    # answer with our own token instead; every other integration/* route is refused the same way.
    segments = [part.casefold() for part in unquote(route).split("/") if part]
    if "integration" in segments:
        raise NotFound("This Magento route is not available through the proxy; log in with POST /api/auth/login.")


def forward(method: str, path: str, raw_query: bytes = b"", json_body: Any = NO_BODY) -> ProxyResult:
    """Forward one frontend call to Magento, caching GETs and invalidating on writes.

    Raises UpstreamHTTPError (Magento's status and body), UpstreamUnavailable, UpstreamTimeout, and
    NotFound for the token routes.
    """
    method = method.upper()
    route = normalise(path)
    _refuse_token_routes(route)
    resource = resource_of(route)
    client = get_magento_client()
    if method == "GET":
        namespace, key = namespace_for(resource), _cache_key(route, raw_query)
        cache = get_cache()
        cached, generation = cache.lookup(namespace, key)
        if cached is not None:
            PROXY_CALLS.labels(resource, method, "hit").inc()
            status, body, headers = cached
            if isinstance(body, bytes):  # the bytes Magento sent; older entries hold the decoded body
                return ProxyResult(status, None, dict(headers), "hit", raw=body)
            return ProxyResult(status, body, dict(headers), "hit")
        response, shared = _reads.run(
            (namespace, key, generation), partial(client.proxy, method, route, raw_query),
            _follower_wait(client), partial(UpstreamTimeout, "magento"))
        if shared:  # another request's call answered: it fills the cache
            PROXY_CALLS.labels(resource, method, "shared").inc()
            return ProxyResult(response.status, response.body, dict(response.headers), "shared", raw=response.raw)
        fill = None
        if 200 <= response.status < 300:
            stored = response.raw if response.raw else response.body
            fill = partial(cache.fill, namespace, key, (response.status, stored, dict(response.headers)),
                           ttl_for(namespace), generation)
        PROXY_CALLS.labels(resource, method, "miss").inc()
        return ProxyResult(response.status, response.body, dict(response.headers), "miss", raw=response.raw,
                           fill=fill)
    try:
        response = client.proxy(method, route, raw_query, json_body)
    finally:
        # Also after a failed or ambiguous write: Magento may have applied it (a timeout, a 500 after save).
        if method in WRITE_METHODS:
            invalidate(resource)
    PROXY_CALLS.labels(resource, method, "bypass").inc()
    return ProxyResult(response.status, response.body, dict(response.headers), "bypass", raw=response.raw)


def invalidate(resource: str) -> None:
    """Clear the cached reads of `resource`, of the resources it changes, and the charts built on them.

    Services that write to Magento outside the proxy (price and stock syncs) call this too.
    """
    cache = get_cache()
    for name in (resource, *RELATED.get(resource, ())):
        cache.clear_namespace(namespace_for(name))
    cache.clear_namespace(ANALYTICS_NAMESPACE)
    cache.clear_namespace(DASHBOARD_NAMESPACE)
