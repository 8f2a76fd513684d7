"""Each area's service object is built once per app, reached through its accessor, and wired to the others
it was given; job contracts are spelt by the builders in app/services/jobs/kinds.py only."""
from __future__ import annotations

import pytest

from app.adapters.appdb import get_app_engine
from app.adapters.cache import get_cache
from app.adapters.magento import get_magento_client
from app.api.envelope import ok
from app.services.jobs import JobRequest, get_jobs, kinds
from app.services.mdm.repository import get_mdm
from app.services.sync.background import get_sync
from app.services.sync.submit import submit_price_sync, submit_stock_acknowledge, submit_stock_sync


def test_each_app_has_its_own_service_objects_wired_to_each_other(make_app):
    first, second = make_app(), make_app()
    for getter in (get_cache, get_mdm, get_jobs, get_sync, get_magento_client, get_app_engine):
        assert getter(first) is not getter(second), getter.__name__
    assert get_jobs(first).engine is get_app_engine(first)
    assert get_sync(first).queue is get_jobs(first) and get_sync(first).engine is get_app_engine(first)
    assert get_mdm(first).cache is get_cache(first)
    with first.app_context():
        assert get_mdm() is get_mdm(first) and get_jobs() is get_jobs(first)


def test_every_handled_kind_is_named_in_kinds(app):
    named = {kinds.PRICES, kinds.STOCKS, kinds.STOCKS_ACKNOWLEDGE, kinds.SNAPSHOTS, kinds.IMAGES_BATCH,
             kinds.JOBS_PRUNE}
    assert set(get_jobs(app).config.kinds) == named


def test_submit_functions_store_the_contract_the_handlers_read(app):
    with app.app_context():
        queue = get_jobs()
        prices = queue.get_job(submit_price_sync([{"sku": "A", "price": 1.5}], base_prices_only=True, start=False))
        source = queue.get_job(submit_stock_sync(["5"], merge=False, start=False))
        full = queue.get_job(submit_stock_sync(None, merge=True, full=True, start=False))
        ack = queue.get_job(submit_stock_acknowledge(["7"], requested_by="me", start=False))
    assert (prices.kind, prices.params) == ("prices", {"items": [{"sku": "A", "price": 1.5}], "method": "base-prices"})
    assert (source.kind, source.params) == ("stocks", {"sources": ["5"], "merge": False})
    assert (full.kind, full.params) == ("stocks", {"sources": None, "merge": True, "full": True})
    assert (ack.kind, ack.params, ack.requested_by) == ("stocks.acknowledge", {"sources": ["7"]}, "me")


def test_an_unknown_kind_is_refused_before_anything_is_stored(app):
    with app.app_context():
        before = get_jobs().list_jobs()[1]
        with pytest.raises(LookupError, match="unknown job kind 'nope'"):
            get_jobs().submit(JobRequest("nope", {}), start=False)
        assert get_jobs().list_jobs()[1] == before


def test_the_success_envelope_keeps_the_frontend_key_order():
    assert list(ok([1], message="m", totalCount=1)) == ["success", "message", "data", "totalCount"]
    assert ok(None) == {"success": True, "data": None}  # data given as None is sent
    assert ok(token="t") == {"success": True, "token": "t"}  # no data, no message: neither key
