"""The settings table as typed sections: one frozen dataclass per area, one `knob` per environment variable.

Each field's `knob(...)` names its variable, parser, default (per environment), meaning and whether it is a
secret; `config/settings.py` reads the environment through these fields, so the table that drives loading,
validation, `manage.py config check` and the README's configuration table is the dataclasses themselves.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from config.parsers import (
    _bool,
    _bytes,
    _choice,
    _latency,
    _list,
    _oidc_roles,
    _positive_float,
    _positive_int,
    _role_map,
    _tokens,
    _ttls,
)

ROOT = Path(__file__).resolve().parent.parent
MASK = "****"


@dataclass(frozen=True)
class Setting:
    """One environment variable: how its text is parsed, its default per environment, its meaning."""

    env: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    secret: bool = False
    per_env: Mapping[str, Any] = field(default_factory=dict)
    required_in: tuple[str, ...] = ()

    def default_for(self, env: str) -> Any:
        return self.per_env.get(env, self.default)


def knob(env: str, parse: Callable[[str], Any], default: Any, help: str, *, secret: bool = False,
         per_env: Mapping[str, Any] | None = None, required_in: tuple[str, ...] = ()) -> Any:
    """A section field read from the variable `env` (the loader always passes a value: no dataclass default)."""
    setting = Setting(env, parse, default, help, secret, dict(per_env or {}), required_in)
    return field(metadata={"setting": setting})


def setting_of(section: type, name: str) -> Setting:
    """The Setting behind field `name` of a section class."""
    setting: Setting = next(f.metadata["setting"] for f in fields(section) if f.name == name)
    return setting


class Section:
    """Base of the sections: a repr with secrets masked (settings end up in logs and tracebacks)."""

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.metadata["setting"].secret and value:
                value = MASK
            parts.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


@dataclass(frozen=True, repr=False)
class ServerSettings(Section):
    """Gunicorn and the process: bind address, workers, recycling, run directory, health."""

    host: str = knob("HOST", str, "0.0.0.0", "Address Gunicorn binds to.")
    port: int = knob("PORT", int, 5000, "Port Gunicorn and `manage.py serve` bind to.")
    web_concurrency: int = knob("WEB_CONCURRENCY", _positive_int, 0,
        "Gunicorn workers; 0 = from the cgroup-aware core count.")
    threads: int = knob("GUNICORN_THREADS", _positive_int, 32,
        "Threads per gthread worker: the work is I/O-bound proxying (docs/resilience.md has the measurement).")
    timeout: int = knob("GUNICORN_TIMEOUT", _positive_int, 60, "Seconds before a silent worker is killed.")
    graceful_timeout: int = knob("GUNICORN_GRACEFUL_TIMEOUT", _positive_int, 30,
        "Seconds a worker gets to finish on stop/reload.")
    max_worker_memory: int = knob("MAX_WORKER_MEMORY", _bytes, 1024 ** 3,
        "Recycle a worker whose tree (worker + pool, USS) exceeds this.")
    max_requests: int = knob("MAX_REQUESTS", _positive_int, 10000,
        "Recycle a worker after this many requests (0 = never).")
    memory_check_interval: float = knob("MEMORY_CHECK_INTERVAL", _positive_float, 5.0,
        "Seconds between idle memory checks of a worker.")
    prometheus_multiproc_dir: str = knob("PROMETHEUS_MULTIPROC_DIR", str, "",
        "Directory of multiprocess metric files (default: a run dir).")
    run_dir: str = knob("RUN_DIR", str, str(ROOT / "instance" / "run"),
        "Runtime files: pid file, metric files, worker table.")
    health_critical: list[str] = knob("HEALTH_CRITICAL", _list, ["database", "app_database"],
        "Checks whose failure makes readiness fail (others only warn).")


@dataclass(frozen=True, repr=False)
class HttpSettings(Section):
    """The HTTP pipeline: body size, proxies, CORS, HTTPS, rate limits, API docs."""

    max_content_length: int = knob("MAX_CONTENT_LENGTH", _bytes, 15 * 1024 ** 2,
        "Largest accepted request body (bytes or 15M).")
    proxy_fix_hops: int = knob("PROXY_FIX_HOPS", _positive_int, 0, "Number of trusted reverse proxies (X-Forwarded-*).")
    cors_origins: list[str] = knob("CORS_ORIGINS", _list, ["http://localhost:3000", "http://localhost:5173"],
        "Allowed browser origins.")
    force_https: bool = knob("FORCE_HTTPS", _bool, False, "Redirect plain HTTP to HTTPS (never on probes or metrics).",
        per_env={"production": True})
    rate_limit: str = knob("RATE_LIMIT", str, "1000 per 15 minutes",
        "Requests allowed per client (a rate string of the `limits` library, e.g. '100 per minute').")
    rate_limit_enabled: bool = knob("RATE_LIMIT_ENABLED", _bool, True, "Turn rate limiting off (not recommended).")
    api_docs_enabled: bool = knob("API_DOCS_ENABLED", _bool, True,
        "Serve the docs page at /api-docs.", per_env={"production": False})


@dataclass(frozen=True, repr=False)
class LoggingSettings(Section):
    """Log level, format and where lines go."""

    level: str = knob("LOG_LEVEL", _choice("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", "Log level.",
        per_env={"development": "DEBUG", "testing": "WARNING"})
    format: str = knob("LOG_FORMAT", _choice("json", "text"), "json", "Log line format (text is for people).",
        per_env={"development": "text"})
    dir: str = knob("LOG_DIR", str, str(ROOT / "logs"),
        "Directory of the log files (one file per day, shared by all processes).")
    files: bool = knob("LOG_FILES", _bool, True,
        "Write log files under LOG_DIR besides stderr.", per_env={"testing": False})
    stderr: bool = knob("LOG_STDERR", _bool, True,
        "Also write logs to stderr (journald, containers); off when files are enough.",
        per_env={"production": False})
    retention_days: int = knob("LOG_RETENTION_DAYS", _positive_int, 14,
        "Days of log files kept; older ones are deleted at start.")


@dataclass(frozen=True, repr=False)
class AuthSettings(Section):
    """Bearer tokens, logins through Magento and OIDC ID tokens."""

    secret_key: str | None = knob("SECRET_KEY", str, None,
        "Signs login-issued access tokens (logins are off without it). Required in "
        "production; `manage.py up` generates one into instance/ for development.", secret=True,
        per_env={"testing": "testing-only-not-secret"}, required_in=("production",))
    api_tokens: list[tuple[str, str]] = knob("API_TOKENS", _tokens, [],
        "Bearer tokens as role:sha256hex,... (hashes only; `manage.py token create`).")
    login_roles: dict[str, str] = knob("LOGIN_ROLES", _role_map, {},
        "Role per Magento admin username for login-issued tokens (user:role,...).")
    login_default_role: str = knob("LOGIN_DEFAULT_ROLE", _choice("viewer", "operator", "admin"), "viewer",
        "Role of other users who log in.")
    access_token_ttl: int = knob("ACCESS_TOKEN_TTL", _positive_int, 8 * 3600,
        "Lifetime (s) of login-issued access tokens.")
    login_rate_limit: str = knob("LOGIN_RATE_LIMIT", str, "10 per minute",
        "Login attempts allowed per client address (a rate string of the `limits` library, e.g. '100 per minute').")
    login_max_failures: int = knob("LOGIN_MAX_FAILURES", _positive_int, 3,
        "Failed logins per username (any case or spelling) before the backend stops asking Magento; reserved "
        "before each Magento call. At most 3 keeps Magento below its lockout of 6 even when a success races "
        "failures.")
    login_failure_window: int = knob("LOGIN_FAILURE_WINDOW", _positive_int, 1800,
        "Seconds a username's failed logins are remembered (host-wide, and in Redis when set; a Redis outage "
        "keeps it).")
    login_min_seconds: float = knob("LOGIN_MIN_SECONDS", _positive_float, 0.5,
        "Shortest time a login answer takes, whatever the outcome: its timing does not reveal the path taken.",
        per_env={"testing": 0.0})
    oidc_issuer: str = knob("AUTH_OIDC_ISSUER", str, "",
        "Issuer of accepted OIDC ID tokens (e.g. https://securetoken.google.com/<project-id>); empty = OIDC off.")
    oidc_audience: str = knob("AUTH_OIDC_AUDIENCE", str, "",
        "Required `aud` of ID tokens: the Firebase project id or the OIDC client id.")
    oidc_jwks_url: str = knob("AUTH_OIDC_JWKS_URL", str, "",
        "Key set URL; empty = the issuer's /.well-known/openid-configuration jwks_uri "
        "(Firebase: https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com).")
    oidc_roles: dict[str, str] = knob("AUTH_OIDC_ROLES", _oidc_roles, {},
        "Role per verified email of an ID token: email:role or *@domain:role, ...")
    oidc_default_role: str = knob("AUTH_OIDC_DEFAULT_ROLE", _choice("", "viewer", "operator", "admin"), "",
        "Role of other verified ID tokens; empty = no access.")
    oidc_timeout: float = knob("AUTH_OIDC_TIMEOUT", _positive_float, 3.0,
        "Timeout (s) of each discovery and key set fetch.")
    oidc_jwks_retry: float = knob("AUTH_OIDC_JWKS_RETRY", _positive_float, 30.0,
        "Fewest seconds between two key set fetches (an unknown kid or a down key server never causes more).")


@dataclass(frozen=True, repr=False)
class CacheSettings(Section):
    """Redis and the per-worker fallback cache."""

    redis_url: str = knob("REDIS_URL", str, "",
        "Redis for cache, rate limits, shared tokens and locks; empty = in-memory.")
    redis_timeout: float = knob("REDIS_TIMEOUT", _positive_float, 0.2, "Redis socket and connect timeout (s).")
    ttls: dict[str, int] = knob("CACHE_TTLS", _ttls, {"default": 300, "magento": 18000, "dashboard": 120,
        "analytics": 1200,
        "mdm": 60, "metrics": 60, "health": 5},
        "TTL in seconds per cache namespace (name:seconds,...); merged over the defaults.")

    def ttl(self, namespace: str) -> int:
        """TTL (s) of a cache namespace; namespaces without their own use "default"."""
        return int(self.ttls.get(namespace, self.ttls.get("default", 300)))


@dataclass(frozen=True, repr=False)
class DatabaseSettings(Section):
    """The app's own database, and the connection limits of both databases."""

    app_database_url: str = knob("APP_DATABASE_URL", str, f"sqlite:///{ROOT / 'instance' / 'app.sqlite3'}",
        "The app's own database: jobs, schedule runs, voting (SQLAlchemy URL).")
    auto_upgrade: bool = knob("APP_DB_AUTO_UPGRADE", _bool, True,
        "Apply the app database's migrations at start (else `manage.py db upgrade`).")
    connect_timeout: float = knob("DB_CONNECT_TIMEOUT", _positive_float, 2.0, "Database connect timeout (s).")
    statement_timeout: float = knob("DB_STATEMENT_TIMEOUT", _positive_float, 15.0, "Database statement timeout (s).")
    pool_size: int = knob("DB_POOL_SIZE", _positive_int, 5, "Connections kept per process and database.")


@dataclass(frozen=True, repr=False)
class MdmSettings(Section):
    """The MDM database and its store mapping."""

    database_url: str = knob("MDM_DATABASE_URL", str, f"sqlite:///{ROOT / 'instance' / 'mdm.sqlite3'}",
        "MDM database (SQLAlchemy URL).")
    price_window_days: int = knob("MDM_PRICE_WINDOW_DAYS", _positive_int, 22,
        "Prices changed or products created in the last N days.")
    sources_file: str = knob("SOURCES_FILE", str, str(ROOT / "config" / "sources.json"),
        "MDM store -> Magento source mapping.")
    auto_seed: bool = knob("AUTO_SEED", _bool, False,
        "`manage.py up` seeds demo MDM data and the voting board at start when the MDM "
        "database is empty; Gunicorn started directly never seeds (run `manage.py db seed`).",
        per_env={"development": True})


@dataclass(frozen=True, repr=False)
class MagentoSettings(Section):
    """The shop: address, credentials, timeouts and budgets, retries, pool, token, sandbox."""

    url: str = knob("MAGENTO_URL", str, "", "Shop base URL (https://shop/rest is derived); empty = the local sandbox.")
    store_code: str = knob("MAGENTO_STORE_CODE", str, "default", "Store code used in /rest/<store>/V1 URLs.")
    username: str = knob("MAGENTO_USERNAME", str, "", "Magento integration admin user.", required_in=())
    password: str = knob("MAGENTO_PASSWORD", str, "", "Magento integration admin password.", secret=True)
    verify_tls: bool = knob("MAGENTO_VERIFY_TLS", _bool, True, "Verify the shop's TLS certificate.")
    timeout_connect: float = knob("MAGENTO_TIMEOUT_CONNECT", _positive_float, 3.0, "Magento connect timeout (s).")
    timeout_read: float = knob("MAGENTO_TIMEOUT_READ", _positive_float, 20.0,
        "Magento read timeout (s); below GUNICORN_TIMEOUT.")
    timeout_write: float = knob("MAGENTO_TIMEOUT_WRITE", _positive_float, 20.0,
        "Magento write timeout (s): sending a request body.")
    timeout_pool: float = knob("MAGENTO_TIMEOUT_POOL", _positive_float, 3.0,
        "Wait (s) for a free pooled Magento connection.")
    health_timeout: float = knob("MAGENTO_HEALTH_TIMEOUT", _positive_float, 2.0,
        "Budget (s) of the Magento health probe (one attempt, no retry).")
    request_budget: float = knob("MAGENTO_REQUEST_BUDGET", _positive_float, 20.0,
        "Wall-clock budget (s) of one Magento call made while serving a request: slot wait, attempts and backoff; "
        "below the frontend's 30 s timeout.")
    retry_max_time: float = knob("MAGENTO_RETRY_MAX_TIME", _positive_float, 45.0,
        "Wall-clock budget (s) of one background Magento call (sync jobs), retries and waits included; "
        "capped below GUNICORN_TIMEOUT.")
    retry_max_attempts: int = knob("MAGENTO_RETRY_MAX_ATTEMPTS", _positive_int, 4,
        "Attempts per idempotent Magento call.")
    retry_max_wait: float = knob("MAGENTO_RETRY_MAX_WAIT", _positive_float, 20.0,
        "Longest total backoff per Magento call (s).")
    retry_backoff_base: float = knob("MAGENTO_RETRY_BACKOFF_BASE", _positive_float, 0.5,
        "First backoff ceiling (s); doubles per retry.")
    retry_backoff_max: float = knob("MAGENTO_RETRY_BACKOFF_MAX", _positive_float, 8.0,
        "Largest backoff ceiling (s) of one retry (full jitter).")
    pool_max_connections: int = knob("MAGENTO_POOL_MAX_CONNECTIONS", _positive_int, 20,
        "Open Magento connections per worker process.")
    token_ttl: int = knob("MAGENTO_TOKEN_TTL", _positive_int, 3500, "Seconds the shared admin token is reused.")
    sandbox_port: int = knob("SANDBOX_PORT", int, 8081, "Port of the local Magento sandbox (development quick start).")
    sandbox_profile: str = knob("SANDBOX_PROFILE", _choice("demo", "large"), "demo",
        "Sandbox shop size: demo (small) or large (20,000 SKUs x 12 sources, 50,000 orders, 5,000 customers).")
    sandbox_latency_ms: str = knob("SANDBOX_LATENCY_MS", _latency, "0",
        "Sandbox answer time per call (ms): N (+-25 % seeded jitter) or LOW-HIGH; 150-400 is a real shop.")


@dataclass(frozen=True, repr=False)
class ResilienceSettings(Section):
    """Circuit breakers and bulkheads (app/services/resilience, docs/resilience.md)."""

    breakers_enabled: bool = knob("BREAKERS_ENABLED", _bool, True,
        "Circuit breakers on Magento and the databases (off in tests unless asked).",
        per_env={"testing": False})
    breaker_failure_threshold: int = knob("BREAKER_FAILURE_THRESHOLD", _positive_int, 5,
        "Consecutive failures (timeouts, connection errors, 5xx; not 4xx) that open an upstream's breaker.")
    breaker_reset_timeout: float = knob("BREAKER_RESET_TIMEOUT", _positive_float, 15.0,
        "Seconds an open breaker refuses calls before one probe.")
    bulkheads_enabled: bool = knob("BULKHEADS_ENABLED", _bool, True,
        "Cap concurrent Magento calls (off in tests unless asked).",
        per_env={"testing": False})
    magento_max_concurrent_per_worker: int = knob("MAGENTO_MAX_CONCURRENT_PER_WORKER", _positive_int, 0,
        "In-flight Magento calls per worker process; 0 = half of GUNICORN_THREADS (at least 1).")
    magento_max_concurrent_per_host: int = knob("MAGENTO_MAX_CONCURRENT_PER_HOST", _positive_int, 16,
        "In-flight Magento calls per host, all workers; 0 = no cap.")
    mdm_max_concurrent_per_worker: int = knob("MDM_MAX_CONCURRENT_PER_WORKER", _positive_int, 0,
        "MDM database sessions in flight per worker process; 0 = the MDM pool's capacity (2 x DB_POOL_SIZE), "
        "never less.")
    bulkhead_wait: float = knob("BULKHEAD_WAIT", _positive_float, 10.0,
        "Longest wait (s) for a Magento or MDM slot before a 503; at most half of the call's own budget.")


@dataclass(frozen=True, repr=False)
class SnapshotSettings(Section):
    """Dashboard snapshots and the charts built from them (docs/dashboards.md)."""

    schedule: str = knob("SNAPSHOT_SCHEDULE", str, "*/15 * * * *",
        "Cron of the incremental snapshot refresh (products and orders changed since; empty = off).",
        per_env={"testing": ""})
    schedule_full: str = knob("SNAPSHOT_SCHEDULE_FULL", str, "30 3 * * *",
        "Cron of the full snapshot rebuild, the guard against drift of incremental refreshes (empty = off).",
        per_env={"testing": ""})
    auto_refresh: bool = knob("SNAPSHOT_AUTO_REFRESH", _bool, True,
        "Start snapshot builds by themselves: at start when one is missing, "
        "after syncs that change the charts, on a read before the first build.", per_env={"testing": False})
    page_size: int = knob("MAGENTO_ANALYTICS_PAGE_SIZE", _positive_int, 300,
        "Page size of the snapshot job's Magento reads (at most 300, Magento 2.4's default input limit).")
    concurrency: int = knob("MAGENTO_ANALYTICS_CONCURRENCY", _positive_int, 4,
        "Pages the snapshot job reads at once (at most half the worker's Magento slots).")
    sales_months: int = knob("MAGENTO_SALES_MONTHS", _positive_int, 12, "Months of orders the sales chart covers.")
    low_stock_qty: float = knob("MAGENTO_LOW_STOCK_QTY", _positive_float, 5.0,
        "Quantity at or below which an in-stock SKU counts as low stock.")


@dataclass(frozen=True, repr=False)
class SyncSettings(Section):
    """The sync engine, its job runner and scheduler, and the price push."""

    runner_enabled: bool = knob("SYNC_RUNNER_ENABLED", _bool, True,
        "Run the job runner and the scheduler threads inside each Gunicorn worker.",
        per_env={"testing": False})
    runner_concurrency: int = knob("SYNC_RUNNER_CONCURRENCY", _positive_int, 2,
        "Jobs one worker process runs at the same time.")
    batch_size: int = knob("SYNC_BATCH_SIZE", _positive_int, 300,
        "Source items / prices per Magento call (shrinks to the shop's input limit).")
    parallel_sources: int = knob("SYNC_PARALLEL_SOURCES", _positive_int, 5,
        "Sources pushed in parallel by one stock job.")
    source_inflight: int = knob("SYNC_SOURCE_INFLIGHT", _positive_int, 2,
        "Batches of one source in flight at once (distinct SKUs: order-free).")
    poll_interval: float = knob("SYNC_POLL_INTERVAL", _positive_float, 2.0,
        "Seconds between claims of pending jobs by an idle runner.")
    lease_seconds: float = knob("SYNC_LEASE_SECONDS", _positive_float, 60.0,
        "Lease of a running job; expired = its worker died, resumed elsewhere.")
    heartbeat_seconds: float = knob("SYNC_HEARTBEAT_SECONDS", _positive_float, 10.0,
        "Seconds between lease renewals of a running job.")
    max_attempts: int = knob("SYNC_MAX_ATTEMPTS", _positive_int, 3,
        "Times a job is (re)started after interruptions before it fails.")
    wait_max: float = knob("SYNC_WAIT_MAX", _positive_float, 3600.0,
        "Longest time (s) a job waits for an unavailable upstream.")
    wait_interval: float = knob("SYNC_WAIT_INTERVAL", _positive_float, 5.0,
        "Seconds between probes while a job waits for an upstream.")
    batch_retries: int = knob("SYNC_BATCH_RETRIES", _positive_int, 3,
        "Extra tries of a batch after a transient failure escaped the client.")
    request_wait: float = knob("SYNC_REQUEST_WAIT", _positive_float, 5.0,
        "Seconds a price sync request waits for its job before answering 202.")
    schedule_prices: str = knob("SYNC_SCHEDULE_PRICES", str, "0 */6 * * *", "Cron of the price sync (empty = off).")
    schedule_stocks: str = knob("SYNC_SCHEDULE_STOCKS", str, "0 */4 * * *",
        "Cron of the stock pipeline (MERGE, push, acknowledge; empty = off).")
    schedule_full: str = knob("SYNC_SCHEDULE_FULL", str, "0 2 * * *",
        "Cron of the full inventory re-push (every row, not only changed; empty = off).")
    schedule_prune: str = knob("SYNC_SCHEDULE_PRUNE", str, "30 3 * * *",
        "Cron of the job-history pruning (JOB_RETENTION_DAYS; empty = off).")
    job_retention_days: int = knob("JOB_RETENTION_DAYS", _positive_int, 30,
        "Days finished jobs (and schedule runs) are kept (0 = forever).")
    timezone: str = knob("SYNC_TIMEZONE", str, "Africa/Casablanca", "Time zone the cron expressions are read in.")
    schedule_grace: float = knob("SYNC_SCHEDULE_GRACE", _positive_float, 3600.0,
        "A run missed by less than this (s) still fires once; older ones are skipped.")
    scheduler_tick: float = knob("SYNC_SCHEDULER_TICK", _positive_float, 15.0, "Seconds between scheduler checks.")
    scheduler_enabled: bool = knob("SYNC_SCHEDULER_ENABLED", _bool, True,
        "Run the scheduler thread in the workers (off when `manage.py scheduler` runs it).")
    price_store_id: int = knob("PRICE_STORE_ID", _positive_int, 0,
        "Magento store id of pushed base prices (0 = global).")
    price_bulk_timeout: float = knob("PRICE_BULK_TIMEOUT", _positive_float, 120.0,
        "Seconds the price sync polls an async bulk before the base-prices fallback.")
    price_bulk_poll: float = knob("PRICE_BULK_POLL", _positive_float, 1.0, "Seconds between async bulk status polls.")
    max_price: float = knob("MAX_PRICE", _positive_float, 10_000_000.0,
        "Largest price a client may send (a price above it is a 400).")


@dataclass(frozen=True, repr=False)
class ImageSettings(Section):
    """The image pool, image limits and batch output."""

    pool_size: int = knob("IMAGE_POOL_SIZE", _positive_int, 0,
        "Image processes per worker; 0 = cores / workers - 1 (at least 1).")
    task_timeout: float = knob("IMAGE_TASK_TIMEOUT", _positive_float, 30.0,
        "Seconds one image task may run once a process has it "
        "(queue wait excluded; also the longest wait for a free process); below GUNICORN_TIMEOUT.")
    queue_size: int = knob("IMAGE_QUEUE_SIZE", _positive_int, 0,
        "Image requests per worker that may wait for a free image process; "
        "0 = GUNICORN_THREADS - 1 - pool size. Image requests in a worker always stay below GUNICORN_THREADS; "
        "more get 503 image_queue_full with Retry-After.")
    max_bytes: int = knob("IMAGE_MAX_BYTES", _bytes, 15 * 1024 ** 2, "Largest accepted image file (bytes or 15M).")
    batch_max_bytes: int = knob("IMAGE_BATCH_MAX_BYTES", _bytes, 256 * 1024 ** 2,
        "Disk one image batch may take, inputs plus estimated "
        "outputs; refused before anything is written (413 image_batch_too_large); 0 = no quota.")
    output_max_bytes: int = knob("IMAGE_OUTPUT_MAX_BYTES", _bytes, 2 * 1024 ** 3,
        "Disk IMAGE_OUTPUT_DIR may take in all; a batch that would "
        "pass it is refused before anything is written (507 image_storage_full); 0 = no quota.")
    output_dir: str = knob("IMAGE_OUTPUT_DIR", str, str(ROOT / "instance" / "images"),
        "Where batch and CLI image outputs go.")
    batch_retention_days: int = knob("IMAGE_BATCH_RETENTION_DAYS", _positive_int, 7,
        "Days a finished batch directory is kept (0 = forever).")
