"""The client's binding to the app: built from settings, stored in app.extensions, token shared via cache."""
from __future__ import annotations

from flask import Flask

from app.adapters.magento import CacheTokenStore, MagentoClient, config_from_settings, get_magento_client, init_app
from config.current import CONFIG_KEY
from config.settings import load_settings


def test_config_is_built_from_settings() -> None:
    settings = load_settings("testing", environ={
        "MAGENTO_URL": "https://shop.example/rest", "MAGENTO_USERNAME": "etl", "MAGENTO_PASSWORD": "pw",
        "MAGENTO_STORE_CODE": "fr", "MAGENTO_TIMEOUT_CONNECT": "1.5", "MAGENTO_TIMEOUT_READ": "9",
        "MAGENTO_RETRY_MAX_ATTEMPTS": "3", "MAGENTO_TOKEN_TTL": "1200"})
    config = config_from_settings(settings)
    assert (config.base_url, config.store_code, config.username) == ("https://shop.example/rest", "fr", "etl")
    assert (config.timeout_connect, config.timeout_read, config.retry.max_attempts) == (1.5, 9.0, 3)
    assert config.token_ttl == 1200.0
    assert "pw" not in repr(config)


def test_call_budget_is_capped_below_the_gunicorn_worker_timeout() -> None:
    settings = load_settings("testing", environ={"GUNICORN_TIMEOUT": "30", "MAGENTO_RETRY_MAX_TIME": "120"})
    assert config_from_settings(settings).retry.max_time == 25.0


def test_empty_magento_url_means_the_local_sandbox() -> None:
    settings = load_settings("testing", environ={"SANDBOX_PORT": "8099"})
    config = config_from_settings(settings)
    assert config.base_url == "http://127.0.0.1:8099" and config.username and config.password


def test_init_app_binds_one_client_with_the_cache_token_store() -> None:
    app = Flask(__name__)
    app.config[CONFIG_KEY] = load_settings("testing", environ={})
    init_app(app)
    with app.app_context():
        client = get_magento_client()
        assert isinstance(client, MagentoClient) and client is get_magento_client()
        assert isinstance(client.tokens._store, CacheTokenStore)


def test_prometheus_metrics_are_exported_with_endpoint_templates() -> None:
    from prometheus_client import generate_latest

    from app.adapters.magento.metrics import PrometheusMetrics
    from app.telemetry import collect_registry

    recorder = PrometheusMetrics()
    recorder.request("GET", "V1/products/{sku}", "200", 0.012)
    recorder.retry("GET", "V1/products/{sku}", "503")
    recorder.token_refresh("ok")
    text = generate_latest(collect_registry()).decode()
    assert 'techno_etl_magento_requests_total{endpoint="V1/products/{sku}",method="GET",status="200"}' in text
    assert "techno_etl_magento_request_duration_seconds_bucket" in text
    assert 'techno_etl_magento_retries_total{endpoint="V1/products/{sku}",method="GET",reason="503"}' in text
    assert 'techno_etl_magento_token_refreshes_total{outcome="ok"}' in text
