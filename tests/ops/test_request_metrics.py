"""The lean request-metrics hook (app/request_metrics.py): the exporter's series, names and labels, per request."""
from __future__ import annotations

from app import request_metrics
from app.telemetry import collect_registry


def _value(name: str, **labels: str) -> float:
    for family in collect_registry().collect():
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_each_request_counts_once_with_its_route_method_and_status(client, auth):
    total = {"method": "GET", "status": "200"}
    by_rule = {"method": "GET", "url_rule": "/api/test", "status": "200"}
    before_total = _value("techno_etl_http_request_total", **total)
    before_count = _value("techno_etl_http_request_duration_seconds_count", **by_rule)
    before_404 = _value("techno_etl_http_request_duration_seconds_count", method="GET", url_rule="None", status="404")
    for _ in range(3):
        assert client.get("/api/test", headers=auth("viewer")).status_code == 200
    assert client.get("/api/no-such-route", headers=auth("viewer")).status_code == 404

    assert _value("techno_etl_http_request_total", **total) - before_total == 3
    assert _value("techno_etl_http_request_duration_seconds_count", **by_rule) - before_count == 3
    assert _value("techno_etl_http_request_duration_seconds_count", method="GET", url_rule="None",
                  status="404") - before_404 == 1
    # The whole request is timed, from the first hook on: a positive duration, under the 1 s alert bound here.
    assert 0 < _value("techno_etl_http_request_duration_seconds_sum", **by_rule)
    assert _value("techno_etl_http_request_duration_seconds_bucket", le="1.0", **by_rule) >= 3


def test_probes_and_the_metrics_endpoint_are_not_metered(client, auth):
    before = _value("techno_etl_http_request_total", method="GET", status="200")
    client.get("/api/health")
    client.get("/api/metrics/prometheus", headers=auth("viewer"))
    assert _value("techno_etl_http_request_total", method="GET", status="200") == before


def test_the_histogram_keeps_few_buckets_and_the_alert_bound():
    assert len(request_metrics.BUCKETS) <= 12
    assert 1.0 in request_metrics.BUCKETS  # TechnoEtlSlowRequests: p95 > 1 s


def test_labelled_children_are_cached_up_to_a_bound(make_app, auth, monkeypatch):
    monkeypatch.setattr(request_metrics, "_CACHE_LIMIT", 1)
    client = make_app().test_client()
    before = _value("techno_etl_http_request_total", method="GET", status="404")
    client.get("/api/test", headers=auth("viewer"))
    for _ in range(2):  # past the bound: still counted, through labels()
        client.get("/api/no-such-route", headers=auth("viewer"))
    assert _value("techno_etl_http_request_total", method="GET", status="404") - before == 2


def test_the_exporter_info_metric_is_kept(app):
    exporter = app.extensions["prometheus"]
    assert exporter.registry.get_sample_value("techno_etl_exporter_info", {"version": exporter.version}) == 1
