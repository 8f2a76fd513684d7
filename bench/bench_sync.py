"""Benchmark of the stock push: this engine vs the original algorithm, against one sandbox in the same run.

Run:  .venv/bin/python bench/bench_sync.py [--rows 100000] [--sources 12] [--latency-ms 0] [--repeat 1]

Seeds an MDM SQLite with `rows` changed StockChanges rows across `sources` stores (every product in every
store) and starts the Magento sandbox as its own process with that catalogue. Then, each from the same
starting point (all rows changed, sandbox reset):
- original: per source (5 sources in parallel) pages of 150 changed rows ordered by quantity (OFFSET
  paging), then batches of 300 pushed one after another, then the blind "changed=0" for the source;
- engine: the "stocks" job as the service runs it (keyset pages, batches of SYNC_BATCH_SIZE, parallel sources,
  in-flight batches per source, acknowledge of the accepted rows and versions).
Reports rows/s of both and the ratio (goals: >= 1x at 0 ms, >= 2x at 200 ms), then runs the engine again
with nothing changed and asserts, from /__sandbox/stats, that it made zero Magento calls. Beside wall time it
prints the CPU each side spent per 1,000 rows, in this process (reading, building, posting, acknowledging)
and in the sandbox: on a shared machine the CPU figures move far less than the wall times. `--latency-ms`
adds a per-call latency in the sandbox (a real shop answers a 300-item source-items call in tens to
hundreds of ms).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="bench-sync-metrics-"))

import httpx  # noqa: E402
from sqlalchemy import Engine, insert, select, update  # noqa: E402

from app.adapters import sql  # noqa: E402
from app.adapters.mdm.tables import create_mdm_schema, mdm_engine, produits, stock_changes  # noqa: E402
from app.adapters.sql import create_engine_for  # noqa: E402
from app.services.mdm.sources import load_sources  # noqa: E402
from app.services.sync.planning import source_item  # noqa: E402
from tests.support.servers import free_port, wait_until  # noqa: E402

ADMIN = ("admin", "sandbox123")


def seed(mdm: Engine, rows: int, sources: int) -> None:
    create_mdm_schema(mdm)
    products = -(-rows // sources)
    now = datetime.now()
    with sql.begin(mdm) as conn:
        conn.execute(insert(produits), [{"Code_MDM": str(2_000_000 + i), "TypeProd": "S", "Libelle": f"P{i}"}
                                        for i in range(products)])
        batch = []
        for code in range(1, sources + 1):
            for i in range(products):
                batch.append({"Code_MDM": str(2_000_000 + i), "Code_Source": code, "Source": f"S{code}",
                              "QteStock": (i * 7 + code) % 60 - 5, "DateDernierMaJ": now, "changed": True})
                if len(batch) == 10_000:
                    conn.execute(insert(stock_changes), batch)
                    batch = []
        if batch:
            conn.execute(insert(stock_changes), batch)


def mark_changed(mdm: Engine) -> None:
    with sql.begin(mdm) as conn:
        conn.execute(update(stock_changes).values(changed=True, DateDernierMaJ=datetime.now()))


def original(app, mdm: Engine, sources: int) -> None:
    """The Node backend's algorithm (original-backend.md section 2), reproduced."""
    from app.adapters.magento import get_magento_client

    mapping = {int(s.code_source): s.magentoSource for s in load_sources()}
    client = get_magento_client(app)

    def one_source(code: int) -> None:
        with app.app_context():
            rows, offset = [], 0
            while True:  # pages of 150 sorted by quantity, OFFSET paging
                stmt = (select(stock_changes.c.Code_MDM, stock_changes.c.QteStock)
                        .where(stock_changes.c.Code_Source == code, stock_changes.c.changed.is_(True))
                        .order_by(stock_changes.c.QteStock).limit(150).offset(offset))
                with sql.connect(mdm) as conn:
                    page = conn.execute(stmt).all()
                if not page:
                    break
                rows.extend(page)
                offset += 150
            items = [source_item(sku, mapping[code], qty) for sku, qty in rows]
            for start in range(0, len(items), 300):  # one after another
                get_magento_client().post_source_items(items[start:start + 300])
            with sql.begin(mdm) as conn:  # the blind acknowledge (the lost-update defect)
                conn.execute(update(stock_changes).where(stock_changes.c.Code_Source == code)
                             .values(changed=False, syncedDate=datetime.now()))
    _ = client
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(one_source, range(1, sources + 1)))


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) of this process, or of process `pid` (read from /proc on Linux)."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(label: str, run, rows: int, sandbox_pid: int) -> tuple[float, object]:
    """Run `run()`; print its wall rate and CPU per 1,000 rows here and in the sandbox."""
    cpu, shop_cpu, started = cpu_seconds(), cpu_seconds(sandbox_pid), time.perf_counter()
    result = run()
    wall = time.perf_counter() - started
    cpu, shop_cpu = cpu_seconds() - cpu, cpu_seconds(sandbox_pid) - shop_cpu
    print(f"{label}: {rows / wall:,.0f} rows/s ({wall:.2f} s); CPU per 1,000 rows: {cpu / rows * 1000 * 1000:.1f} ms "
          f"here, {shop_cpu / rows * 1000 * 1000:.1f} ms in the sandbox")
    return wall, result


def engine_run(app) -> object:
    from app.services import jobs

    with app.app_context():
        job_id = jobs.get_jobs().submit(jobs.JobRequest("stocks", {"sources": None, "merge": False}), start=False)
        return jobs.get_jobs(app).runner().run_inline(job_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=12)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of original then engine (median ratio)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    mdm_url = f"sqlite:///{tmp / 'mdm.sqlite3'}"
    raw = create_engine_for(mdm_url, name="mdm", statement_timeout=120)
    mdm = mdm_engine(raw)
    started = time.perf_counter()
    seed(mdm, args.rows, args.sources)
    with mdm.connect() as conn:
        total = conn.execute(select(stock_changes.c.Code_MDM).where(stock_changes.c.changed.is_(True))).all()
    print(f"seeded {len(total)} changed rows across {args.sources} sources in {time.perf_counter() - started:.1f} s")
    port = free_port()
    sandbox = subprocess.Popen([sys.executable, "-m", "magento_sandbox", "--port", str(port), "--mdm-url", mdm_url],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shop = httpx.Client(base_url=f"http://127.0.0.1:{port}/__sandbox/", timeout=60)
    try:
        wait_until(lambda: shop.get("info").json()["seeded_from"] == "mdm", timeout=120, interval=0.5)
        from app import create_app
        from app.adapters.magento import get_magento_client

        app = create_app("testing", overrides={
            "APP_DATABASE_URL": f"sqlite:///{tmp / 'app.sqlite3'}", "MDM_DATABASE_URL": mdm_url,
            "RUN_DIR": str(tmp / "run"), "LOG_FILES": False, "MAGENTO_URL": f"http://127.0.0.1:{port}",
            "MAGENTO_USERNAME": ADMIN[0], "MAGENTO_PASSWORD": ADMIN[1], "DB_STATEMENT_TIMEOUT": 30.0})
        def fresh_start() -> None:  # all rows changed, an empty sandbox with the configured latency
            shop.post("reset").raise_for_status()
            if args.latency_ms:
                shop.post("faults", json={"latency_ms": args.latency_ms, "paths": "source-items"}).raise_for_status()
            mark_changed(mdm)

        with app.app_context():  # warm up: token, connections
            get_magento_client(app).search("V1/inventory/sources")
        goal = "2x" if args.latency_ms >= 200 else "1x"
        ratios = []
        for round_ in range(1, args.repeat + 1):  # alternated, so a load change on the shared box hits both
            fresh_start()
            t_original, _ = measure("original", lambda: original(app, mdm, args.sources), len(total), sandbox.pid)
            calls_original = shop.get("stats").json()["total"]
            items_original = len(shop.get("state/source-items").json())
            print(f"original: {calls_original} calls")
            fresh_start()
            t_engine, record = measure("engine  ", lambda: engine_run(app), len(total), sandbox.pid)
            calls_engine = shop.get("stats").json()["total"]
            print(f"engine:   {calls_engine} calls, status {record.status}, accepted {record.counts.get('accepted')}, "
                  f"acknowledged {record.counts.get('acknowledged')}")
            ratios.append(t_original / t_engine)
            print(f"round {round_}: ratio engine/original {ratios[-1]:.2f}x (goal >= {goal} at {args.latency_ms} ms)")
            assert record.status == "succeeded" and record.counts.get("acknowledged") == len(total)
            assert items_original >= len(total)
        print(f"ratio engine/original: median {statistics.median(ratios):.2f}x, range {min(ratios):.2f}-"
              f"{max(ratios):.2f}x over {len(ratios)} rounds (goal >= {goal} at {args.latency_ms} ms)")

        shop.delete("stats").raise_for_status()
        again = engine_run(app)
        calls = shop.get("stats").json()["total"]
        print(f"second run, nothing changed: {calls} Magento calls (status {again.status})")
        assert calls == 0
    finally:
        sandbox.terminate()
        sandbox.wait(10)
        raw.dispose()


if __name__ == "__main__":
    main()
