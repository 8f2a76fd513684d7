"""SandboxOptions: every knob of the Magento sandbox, with named defaults and an env reader."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

# Magento defaults, named so tests and docs can refer to them.
DEFAULT_TOKEN_TTL_S = 4 * 3600  # classic admin token lifetime (oauth/access_token_lifetime/admin = 4 h)
DEFAULT_LOCKOUT_FAILURES = 6  # oauth/authentication_lock/max_failures_count
DEFAULT_LOCKOUT_S = 1800  # oauth/authentication_lock/timeout
DEFAULT_MAX_PAGE_SIZE = 300  # webapi/validation/maximum_page_size
DEFAULT_PAGE_SIZE = 20  # webapi/validation/default_page_size (only applied in strict mode)
DEFAULT_SYNC_ARRAY_LIMIT = 20  # webapi/validation/input_limit_enabled -> complex array size (sync)
DEFAULT_ASYNC_ARRAY_LIMIT = 5000  # same limit for the async/bulk routes
DEFAULT_CONSUMER_DELAY_S = 2.0
DEFAULT_PRODUCTS = 500
DEFAULT_SEED = 42
PROFILES = ("demo", "large")
# The `large` shop (issue 14): a real shop's size, not the demo's. Source items = stocked SKUs x 12 sources.
LARGE_PRODUCTS = 20_000
LARGE_CUSTOMERS = 5_000
LARGE_ORDERS = 50_000
LARGE_CATEGORIES = 200
LATENCY_JITTER = 0.25  # "200" = uniform 150..250 ms
MAX_LATENCY_MS = 60_000

_REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES_FILE = _REPO_ROOT / "config" / "sources.json"


@dataclass(frozen=True)
class SandboxOptions:
    """Configuration of one sandbox instance (immutable; the live knobs are in FaultConfig)."""

    admin_username: str = "admin"
    admin_password: str = "sandbox123"
    # More admin accounts (username -> password), e.g. people who log in while "admin" runs the syncs.
    other_admins: dict = field(default_factory=dict)
    token_ttl_s: float = DEFAULT_TOKEN_TTL_S
    lockout_failures: int = DEFAULT_LOCKOUT_FAILURES
    lockout_s: float = DEFAULT_LOCKOUT_S
    # Magento 2.4.3 behaviour (input limits always on); 2.4.4+ ships with them off.
    strict_limits: bool = False
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE
    default_page_size: int = DEFAULT_PAGE_SIZE
    sync_array_limit: int = DEFAULT_SYNC_ARRAY_LIMIT
    async_array_limit: int = DEFAULT_ASYNC_ARRAY_LIMIT
    # Seconds after which open bulk operations are consumed automatically; None = only on demand.
    consumer_delay_s: float | None = DEFAULT_CONSUMER_DELAY_S
    products: int | None = None  # None = the profile's size (DEFAULT_PRODUCTS or LARGE_PRODUCTS)
    seed: int = DEFAULT_SEED
    mdm_url: str | None = None
    sources_file: Path = DEFAULT_SOURCES_FILE
    # When set, /__sandbox/ control calls need the header X-Sandbox-Control: <token>.
    control_token: str | None = None
    # Seed of the random generator that decides `rate`-based faults (deterministic runs).
    fault_seed: int = 0
    # demo: sizes derived from the catalogue (small); large: LARGE_* sizes, every stocked SKU at every store.
    profile: str = "demo"
    customers: int | None = None  # None = the profile's size
    orders: int | None = None
    categories: int | None = None
    # Per-call latency of the shop (ms): uniform in [low, high], drawn from a generator seeded with `seed`.
    latency_ms: tuple[float, float] = (0.0, 0.0)
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"sandbox profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")
        if self.categories is not None and self.categories < 4:
            raise ValueError("sandbox categories must be >= 4 (root, default, one top level, one leaf)")
        low, high = self.latency_ms
        if not 0 <= low <= high <= MAX_LATENCY_MS:
            raise ValueError(f"sandbox latency must satisfy 0 <= low <= high <= {MAX_LATENCY_MS} ms")

    @property
    def is_large(self) -> bool:
        return self.profile == "large"

    @classmethod
    def from_env(cls, **overrides: object) -> SandboxOptions:
        """Defaults, then SANDBOX_* environment variables, then explicit overrides."""
        env = os.environ
        values: dict[str, object] = {}
        if env.get("SANDBOX_ADMIN_USERNAME"):
            values["admin_username"] = env["SANDBOX_ADMIN_USERNAME"]
        if env.get("SANDBOX_ADMIN_PASSWORD"):
            values["admin_password"] = env["SANDBOX_ADMIN_PASSWORD"]
        if env.get("SANDBOX_OTHER_ADMINS"):  # "alice:pw1,bob:pw2"
            values["other_admins"] = dict(entry.split(":", 1) for entry in env["SANDBOX_OTHER_ADMINS"].split(",")
                                          if ":" in entry)
        if env.get("SANDBOX_TOKEN_TTL_S"):
            values["token_ttl_s"] = float(env["SANDBOX_TOKEN_TTL_S"])
        if env.get("SANDBOX_STRICT_LIMITS"):
            values["strict_limits"] = env["SANDBOX_STRICT_LIMITS"].lower() in {"1", "true", "yes"}
        if env.get("SANDBOX_CONTROL_TOKEN"):
            values["control_token"] = env["SANDBOX_CONTROL_TOKEN"]
        if env.get("SANDBOX_CONSUMER_DELAY_S"):
            raw = env["SANDBOX_CONSUMER_DELAY_S"]
            values["consumer_delay_s"] = None if raw.lower() in {"", "none", "off"} else float(raw)
        if env.get("SANDBOX_PROFILE"):
            values["profile"] = env["SANDBOX_PROFILE"].strip().lower()
        if env.get("SANDBOX_LATENCY_MS"):
            values["latency_ms"] = parse_latency(env["SANDBOX_LATENCY_MS"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def size(self, name: str, demo: int) -> int:
        """Products/customers/orders/categories: the explicit option, else the profile's size (`demo` for demo)."""
        explicit = getattr(self, name)
        if explicit is not None:
            return int(explicit)
        large = {"products": LARGE_PRODUCTS, "customers": LARGE_CUSTOMERS, "orders": LARGE_ORDERS,
                 "categories": LARGE_CATEGORIES}
        return large[name] if self.is_large else demo

    def with_(self, **changes: object) -> SandboxOptions:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def parse_latency(raw: str | float | int) -> tuple[float, float]:
    """"200" -> (150.0, 250.0) (+-25 % jitter), "150-400" -> (150.0, 400.0), "0" -> (0.0, 0.0).

    Raises ValueError with a readable reason for anything else."""
    text = str(raw).strip()
    try:
        if "-" in text.lstrip("-"):
            low_s, high_s = text.split("-", 1)
            low, high = float(low_s), float(high_s)
        else:
            mid = float(text)
            low, high = mid * (1 - LATENCY_JITTER), mid * (1 + LATENCY_JITTER)
    except ValueError:
        raise ValueError(f"SANDBOX_LATENCY_MS must be 'N' or 'LOW-HIGH' in ms, not {text!r}") from None
    if not 0 <= low <= high <= MAX_LATENCY_MS:
        raise ValueError(f"SANDBOX_LATENCY_MS must satisfy 0 <= low <= high <= {MAX_LATENCY_MS}, not {text!r}")
    return (low, high)
