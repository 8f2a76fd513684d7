"""The proxy's deferred cache fill: run after the answer is sent, and never over a later invalidation."""
from __future__ import annotations

import pytest

from app.adapters.cache import get_cache
from app.services.magento import proxy

PAGE = b"searchCriteria[pageSize]=3&searchCriteria[currentPage]=1&fieldName=name"


@pytest.fixture(params=["redis", "memory"])
def cache_app(request, make_app):
    if request.param == "redis":
        return make_app(REDIS_URL=request.getfixturevalue("redis_url"))
    return make_app()


def test_a_fill_after_an_invalidation_is_refused(cache_app):
    with cache_app.app_context():
        cache = get_cache()
        cache.clear_namespace("fill")
        value, stale = cache.lookup("fill", "k")
        assert value is None
        cache.clear_namespace("fill")  # a write lands while the miss is being answered
        assert cache.fill("fill", "k", "old", 60, stale) is False
        assert cache.lookup("fill", "k")[0] is None
        value, fresh = cache.lookup("fill", "k")
        assert cache.fill("fill", "k", "new", 60, fresh) is True
        assert cache.lookup("fill", "k")[0] == "new" and cache.get("fill", "k") == "new"
        assert cache.clear_namespace("fill") == 1 and cache.get("fill", "k") is None


def test_another_namespace_clear_does_not_refuse_a_fill(cache_app):
    with cache_app.app_context():
        cache = get_cache()
        _, generation = cache.lookup("fill-a", "k")
        cache.clear_namespace("fill-b")
        assert cache.fill("fill-a", "k", 1, 60, generation) is True
        cache.clear_namespace("fill-a")


def test_a_generation_from_redis_is_not_filled_into_the_fallback(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        cache = get_cache()
        _, generation = cache.lookup("fill", "k")
        cache._fail_over(RuntimeError("test"))  # the worker switched to its memory fallback meanwhile
        assert cache.backend == "memory" and cache.fill("fill", "k", "v", 60, generation) is False


@pytest.mark.parametrize("backend", ["redis", "memory"])
def test_proxy_miss_fills_after_the_answer_and_a_write_in_between_wins(magento_app, auth, backend, request):
    extra = {"REDIS_URL": request.getfixturevalue("redis_url")} if backend == "redis" else {}
    app = magento_app(**extra)
    with app.test_request_context("/api/magento/products"):
        proxy.invalidate("products")
        first = proxy.forward("GET", "products", PAGE)
        assert first.cache == "miss" and first.fill is not None
        assert proxy.forward("GET", "products", PAGE).cache == "miss"  # nothing stored before the fill runs
        proxy.invalidate("products")  # a product write between Magento's answer and the fill
        first.run_fill()
        second = proxy.forward("GET", "products", PAGE)
        assert second.cache == "miss", "a stale fill overwrote the invalidation"
        second.run_fill()
        assert proxy.forward("GET", "products", PAGE).cache == "hit"
    client = app.test_client()
    resp = client.get("/api/magento/products?" + PAGE.decode() + "&x=1", headers=auth("viewer"))
    assert resp.status_code == 200 and resp.headers["X-Cache"] == "MISS"
    again = client.get("/api/magento/products?" + PAGE.decode() + "&x=1", headers=auth("viewer"))
    assert again.headers["X-Cache"] == "HIT" and again.data == resp.data
