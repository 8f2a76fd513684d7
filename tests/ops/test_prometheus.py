"""Alert rules and dashboard against the real metric names; promtool on the rules and a live scrape; a
real Prometheus server scraping a Gunicorn with a bearer token, loading the rules and evaluating them."""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.ops.metric_names import defined_metrics, used_metrics
from tests.support.servers import ROOT, TOKENS, GunicornServer, free_port, wait_until

RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
SCRAPE = ROOT / "deploy" / "prometheus" / "scrape.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "techno-etl.json"


@pytest.mark.parametrize("path", [RULES, DASHBOARD], ids=["alerts", "dashboard"])
def test_rules_and_dashboard_use_only_metrics_the_code_defines(path):
    used = used_metrics(path)
    assert used, f"{path.name} names no techno_etl_ metric"
    unknown = used - defined_metrics()
    assert not unknown, f"{path.name} uses metrics no module defines: {sorted(unknown)}"


def test_promtool_accepts_the_alert_rules(promtool):
    result = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_accepts_the_example_scrape_config(promtool, tmp_path):
    token = tmp_path / "token"
    token.write_text(TOKENS["viewer"])
    config = SCRAPE.read_text().replace("/etc/prometheus/rules/techno-etl-alerts.yml", str(RULES)) \
        .replace("/etc/prometheus/techno-etl.token", str(token))
    (tmp_path / "prometheus.yml").write_text(config)
    result = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_is_grafana_json_with_a_prometheus_datasource_input():
    board = json.loads(DASHBOARD.read_text())
    assert board["title"] and board["panels"] and board["__inputs"][0]["pluginId"] == "prometheus"
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            assert target["expr"].strip(), panel["title"]


@pytest.mark.slow
def test_promtool_accepts_a_live_scrape(promtool):
    with GunicornServer(workers=2) as server:
        for _ in range(5):
            httpx.get(server.base_url + "/api/test", headers=server.headers("viewer"))
        text = httpx.get(server.base_url + "/api/metrics/prometheus", headers=server.headers("viewer")).text
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "techno_etl_http_request_total" in text


def _prometheus_config(target: str, token_file: Path) -> str:
    return json.dumps({  # JSON is YAML: no YAML library needed to write it
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [{
            "job_name": "techno-etl", "metrics_path": "/api/metrics/prometheus", "scrape_timeout": "1s",
            "authorization": {"type": "Bearer", "credentials_file": str(token_file)},
            "static_configs": [{"targets": [target]}],
        }],
    })


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_real_prometheus_scrapes_the_app_with_a_token_and_loads_the_rules(prometheus_bin):
    with GunicornServer(workers=2) as server, tempfile.TemporaryDirectory(prefix="techno-etl-prom-") as tmp:
        token = Path(tmp) / "token"
        token.write_text(TOKENS["viewer"])
        config = Path(tmp) / "prometheus.yml"
        config.write_text(_prometheus_config(f"127.0.0.1:{server.port}", token))
        port = free_port()
        api = f"http://127.0.0.1:{port}/api/v1"
        proc = subprocess.Popen([prometheus_bin, f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
                                 f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                                stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / "prometheus.log", "wb"))
        try:
            for _ in range(5):
                httpx.get(server.base_url + "/api/test", headers=server.headers("viewer"))

            def target_up() -> bool:
                (target,) = httpx.get(f"{api}/targets", timeout=2).json()["data"]["activeTargets"]
                assert target["lastError"] == "", target["lastError"]
                return target["health"] == "up"

            wait_until(target_up, timeout=30, interval=0.5)

            def series() -> list[str]:
                query = 'count by (__name__) ({__name__=~"techno_etl_.+"})'
                result = httpx.get(f"{api}/query", params={"query": query}, timeout=2).json()["data"]["result"]
                return [r["metric"]["__name__"] for r in result]

            names = wait_until(lambda: "techno_etl_http_request_total" in series() and series(),
                               timeout=30, interval=0.5)
            assert {"techno_etl_worker_requests", "techno_etl_cache_fallback_active"} <= set(names)
            groups = httpx.get(f"{api}/rules", timeout=2).json()["data"]["groups"]
            rules = {rule["name"]: rule for group in groups for rule in group["rules"]}
            assert len(rules) == RULES.read_text().count("- alert:")
            assert all(rule["health"] != "err" for rule in rules.values()), [r["lastError"] for r in rules.values()]
            for expr in _dashboard_exprs():  # every panel's query parses and runs on the real server
                answer = httpx.get(f"{api}/query", params={"query": expr}, timeout=5).json()
                assert answer["status"] == "success", (expr, answer.get("error"))
            # Without REDIS_URL both workers run on the in-memory cache: the real metric makes that rule pend.
            wait_until(lambda: rules_state(api, "TechnoEtlCacheOnFallback") == "pending", timeout=20, interval=0.5)
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def _dashboard_exprs() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    return [e.replace("$__rate_interval", "1m").replace("$instance", ".*").replace("$job", "techno-etl") for e in exprs]


def rules_state(api: str, name: str) -> str | None:
    for group in httpx.get(f"{api}/rules", timeout=2).json()["data"]["groups"]:
        for rule in group["rules"]:
            if rule["name"] == name:
                return rule["state"]
    return None
