import json, sys, os, httpx
sys.path.insert(0, os.getcwd())
from magento_sandbox import SandboxOptions, start_sandbox_thread
from tests.support.dashboard import burst, summary
from tests.support.servers import GunicornServer
sb = start_sandbox_thread("127.0.0.1", 0, options=SandboxOptions(products=120, seed=7, consumer_delay_s=None))
httpx.post(sb.url + "/__sandbox/faults", json={"latency_ms": 100}).raise_for_status()
env = {"MAGENTO_URL": sb.url, "MAGENTO_USERNAME": "admin", "MAGENTO_PASSWORD": "sandbox123", "BREAKERS_ENABLED": "1",
       "BULKHEADS_ENABLED": "1", "RATE_LIMIT_ENABLED": "0", "LOG_LEVEL": "WARNING"}
env.update(dict(kv.split("=") for kv in sys.argv[2:]))
with GunicornServer(workers=2, threads=int(sys.argv[1]), env=env) as s:
    one = burst(s.base_url, s.headers("viewer"), users=1)
    ten = burst(s.base_url, s.headers("viewer"), users=10, vary_pages=True)
    import psutil
    rss = [round(psutil.Process(p).memory_full_info().uss / 2**20) for p in s.worker_pids()]
    print("threads", sys.argv[1], "worker USS MiB", rss)
print("1 user", json.dumps(summary(one))); print("10 users", json.dumps(summary(ten)))
sb.stop()
