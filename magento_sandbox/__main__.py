"""`python -m magento_sandbox --port 8081 [--host 127.0.0.1] [--mdm-url URL] [--products N]
[--profile demo|large] [--latency-ms 200|150-400]` (SANDBOX_PROFILE / SANDBOX_LATENCY_MS also apply)."""
from __future__ import annotations

import argparse
import logging

from .options import PROFILES, SandboxOptions, parse_latency
from .server import run_sandbox


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m magento_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--mdm-url", default=None, help="SQLAlchemy URL of the MDM database to seed SKUs from")
    parser.add_argument("--products", type=int, default=None, help="size of the generated catalogue")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--strict-limits", action="store_true", default=None,
                        help="enforce pageSize <= 300 and arrays <= 20 like a strict shop")
    parser.add_argument("--consumer-delay", type=float, default=None,
                        help="seconds before open bulk operations are consumed automatically")
    parser.add_argument("--profile", choices=PROFILES, default=None,
                        help="shop size: demo, or large (20,000 SKUs x 12 sources, 50,000 orders)")
    parser.add_argument("--latency-ms", type=parse_latency, default=None,
                        help="per-call answer time: N (+-25%% seeded jitter) or LOW-HIGH")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    options = SandboxOptions.from_env(products=args.products, seed=args.seed, mdm_url=args.mdm_url,
                                      strict_limits=args.strict_limits, consumer_delay_s=args.consumer_delay,
                                      profile=args.profile, latency_ms=args.latency_ms)
    run_sandbox(args.host, args.port, options=options)


if __name__ == "__main__":
    main()
