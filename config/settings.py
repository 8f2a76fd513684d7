"""Every setting the service reads: name, type, default per environment, meaning, and validation.

One table (`SETTINGS`) drives loading, validation, `manage.py config check` and the README's
configuration table. Values come from the environment, then an optional `.env` file; a bad or
missing value stops the start with a message naming each offending variable.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# _tokens is also what tests and benches use to build API_TOKENS values.
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
    oidc_problems,
)

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(Exception):
    """Raised with one line per bad or missing setting."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Invalid configuration:\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Setting:
    env: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    secret: bool = False
    per_env: Mapping[str, Any] = field(default_factory=dict)
    required_in: tuple[str, ...] = ()

    @property
    def attr(self) -> str:
        return self.env.lower()

    def default_for(self, env: str) -> Any:
        return self.per_env.get(env, self.default)


S = Setting
SETTINGS: list[Setting] = [
    # Process and HTTP
    S("HOST", str, "0.0.0.0", "Address Gunicorn binds to."),
    S("PORT", int, 5000, "Port Gunicorn and `manage.py serve` bind to."),
    S("LOG_LEVEL", _choice("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", "Log level.",
      per_env={"development": "DEBUG", "testing": "WARNING"}),
    S("LOG_FORMAT", _choice("json", "text"), "json", "Log line format (text is for people).",
      per_env={"development": "text"}),
    S("LOG_DIR", str, str(ROOT / "logs"), "Directory of the log files (one file per day, shared by all processes)."),
    S("LOG_FILES", _bool, True, "Write log files under LOG_DIR besides stderr.", per_env={"testing": False}),
    S("LOG_STDERR", _bool, True, "Also write logs to stderr (journald, containers); off when files are enough.",
      per_env={"production": False}),
    S("LOG_RETENTION_DAYS", _positive_int, 14, "Days of log files kept; older ones are deleted at start."),
    S("MAX_CONTENT_LENGTH", _bytes, 15 * 1024 ** 2, "Largest accepted request body (bytes or 15M)."),
    S("PROXY_FIX_HOPS", _positive_int, 0, "Number of trusted reverse proxies (X-Forwarded-*)."),
    S("SECRET_KEY", str, None, "Signs login-issued access tokens (logins are off without it). Required in "
      "production; `manage.py up` generates one into instance/ for development.", secret=True,
      per_env={"testing": "testing-only-not-secret"}, required_in=("production",)),
    # Auth
    S("API_TOKENS", _tokens, [], "Bearer tokens as role:sha256hex,... (hashes only; `manage.py token create`)."),
    S("LOGIN_ROLES", _role_map, {}, "Role per Magento admin username for login-issued tokens (user:role,...)."),
    S("LOGIN_DEFAULT_ROLE", _choice("viewer", "operator", "admin"), "viewer", "Role of other users who log in."),
    S("ACCESS_TOKEN_TTL", _positive_int, 8 * 3600, "Lifetime (s) of login-issued access tokens."),
    S("LOGIN_RATE_LIMIT", str, "10 per minute", "Login attempts allowed per client address (Flask-Limiter syntax)."),
    S("LOGIN_MAX_FAILURES", _positive_int, 3,
      "Failed logins per username (any case or spelling) before the backend stops asking Magento; reserved "
      "before each Magento call. At most 3 keeps Magento below its lockout of 6 even when a success races failures."),
    S("LOGIN_FAILURE_WINDOW", _positive_int, 1800,
      "Seconds a username's failed logins are remembered (host-wide, and in Redis when set; a Redis outage keeps it)."),
    S("LOGIN_MIN_SECONDS", _positive_float, 0.5,
      "Shortest time a login answer takes, whatever the outcome: its timing does not reveal the path taken.",
      per_env={"testing": 0.0}),
    # OIDC ID tokens (Firebase, Keycloak, Entra ID) as bearer tokens: app/services/oidc.py
    S("AUTH_OIDC_ISSUER", str, "",
      "Issuer of accepted OIDC ID tokens (e.g. https://securetoken.google.com/<project-id>); empty = OIDC off."),
    S("AUTH_OIDC_AUDIENCE", str, "", "Required `aud` of ID tokens: the Firebase project id or the OIDC client id."),
    S("AUTH_OIDC_JWKS_URL", str, "", "Key set URL; empty = the issuer's /.well-known/openid-configuration jwks_uri "
      "(Firebase: https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com)."),
    S("AUTH_OIDC_ROLES", _oidc_roles, {}, "Role per verified email of an ID token: email:role or *@domain:role, ..."),
    S("AUTH_OIDC_DEFAULT_ROLE", _choice("", "viewer", "operator", "admin"), "",
      "Role of other verified ID tokens; empty = no access."),
    S("AUTH_OIDC_LEEWAY", _positive_float, 60.0, "Clock skew (s) tolerated on exp, iat and nbf of ID tokens."),
    S("AUTH_OIDC_TIMEOUT", _positive_float, 3.0, "Timeout (s) of each discovery and key set fetch."),
    S("AUTH_OIDC_JWKS_TTL", _positive_float, 3600.0, "Seconds the issuer's keys are used before being fetched again."),
    S("AUTH_OIDC_JWKS_RETRY", _positive_float, 30.0,
      "Fewest seconds between two key set fetches (an unknown kid or a down key server never causes more)."),
    S("AUTH_OIDC_CACHE_SIZE", _positive_int, 1024,
      "Verified ID tokens remembered per worker until their exp (skips the signature check); 0 = off."),
    # HTTP security
    S("CORS_ORIGINS", _list, ["http://localhost:3000", "http://localhost:5173"], "Allowed browser origins."),
    S("FORCE_HTTPS", _bool, False, "Redirect plain HTTP to HTTPS (never on probes or metrics).",
      per_env={"production": True}),
    S("RATE_LIMIT", str, "1000 per 15 minutes", "Requests allowed per client (Flask-Limiter syntax)."),
    S("RATE_LIMIT_ENABLED", _bool, True, "Turn rate limiting off (not recommended)."),
    S("API_DOCS_ENABLED", _bool, True, "Serve the docs page at /api-docs.", per_env={"production": False}),
    # Cache
    S("REDIS_URL", str, "", "Redis for cache, rate limits, shared tokens and locks; empty = in-memory."),
    S("REDIS_TIMEOUT", _positive_float, 0.2, "Redis socket and connect timeout (s)."),
    S("CACHE_PROBE_INTERVAL", _positive_float, 5.0, "Seconds between Redis probes while on the fallback."),
    S("CACHE_FALLBACK_MAX_ITEMS", _positive_int, 2000, "Size bound of the in-memory fallback cache."),
    S("CACHE_FALLBACK_MAX_BYTES", _bytes, 64 * 1024 ** 2, "Byte bound (pickled keys and values) of the in-memory "
      "fallback cache, per worker; a larger value is not cached."),
    S("CACHE_FALLBACK_MAX_TTL", _positive_int, 60, "Longest TTL (s) the per-worker fallback keeps a value."),
    S("CACHE_TTLS", _ttls, {"default": 300, "magento": 18000, "dashboard": 120, "analytics": 1200,
                            "mdm": 60, "metrics": 60, "health": 5},
      "TTL in seconds per cache namespace (name:seconds,...); merged over the defaults."),
    # Health
    S("HEALTH_CRITICAL", _list, ["database", "app_database"],
      "Checks whose failure makes readiness fail (others only warn)."),
    S("HEALTH_CACHE_SECONDS", _positive_float, 3.0, "How long detailed health results are reused."),
    # Gunicorn / processes
    S("WEB_CONCURRENCY", _positive_int, 0, "Gunicorn workers; 0 = from the cgroup-aware core count."),
    S("GUNICORN_THREADS", _positive_int, 32,
      "Threads per gthread worker: the work is I/O-bound proxying (docs/resilience.md has the measurement)."),
    S("GUNICORN_TIMEOUT", _positive_int, 60, "Seconds before a silent worker is killed."),
    S("GUNICORN_GRACEFUL_TIMEOUT", _positive_int, 30, "Seconds a worker gets to finish on stop/reload."),
    S("MAX_WORKER_MEMORY", _bytes, 1024 ** 3, "Recycle a worker whose tree (worker + pool, USS) exceeds this."),
    S("MAX_REQUESTS", _positive_int, 10000, "Recycle a worker after this many requests (0 = never)."),
    S("MAX_REQUESTS_JITTER", _positive_int, 1000, "Random jitter added to MAX_REQUESTS."),
    S("MEMORY_CHECK_INTERVAL", _positive_float, 5.0, "Seconds between idle memory checks of a worker."),
    S("PROMETHEUS_MULTIPROC_DIR", str, "", "Directory of multiprocess metric files (default: a run dir)."),
    S("RUN_DIR", str, str(ROOT / "instance" / "run"), "Runtime files: pid file, metric files, worker table."),
    # Databases
    S("MDM_DATABASE_URL", str, f"sqlite:///{ROOT / 'instance' / 'mdm.sqlite3'}", "MDM database (SQLAlchemy URL)."),
    S("APP_DATABASE_URL", str, f"sqlite:///{ROOT / 'instance' / 'app.sqlite3'}",
      "The app's own database: jobs, schedule runs, voting (SQLAlchemy URL)."),
    S("APP_DB_AUTO_UPGRADE", _bool, True, "Apply the app database's migrations at start (else `manage.py db upgrade`)."),
    S("DB_CONNECT_TIMEOUT", _positive_float, 2.0, "Database connect timeout (s)."),
    S("DB_STATEMENT_TIMEOUT", _positive_float, 15.0, "Database statement timeout (s)."),
    S("DB_POOL_SIZE", _positive_int, 5, "Connections kept per process and database."),
    S("MDM_PRICE_WINDOW_DAYS", _positive_int, 22, "Prices changed or products created in the last N days."),
    S("MDM_SLOW_QUERY_MS", _positive_float, 500.0, "Log MDM queries slower than this."),
    S("SOURCES_FILE", str, str(ROOT / "config" / "sources.json"), "MDM store -> Magento source mapping."),
    S("AUTO_SEED", _bool, False, "`manage.py up` seeds demo MDM data and the voting board at start when the MDM "
      "database is empty; Gunicorn started directly never seeds (run `manage.py db seed`).",
      per_env={"development": True}),
    # Magento
    S("MAGENTO_URL", str, "", "Shop base URL (https://shop/rest is derived); empty = the local sandbox."),
    S("MAGENTO_STORE_CODE", str, "default", "Store code used in /rest/<store>/V1 URLs."),
    S("MAGENTO_USERNAME", str, "", "Magento integration admin user.", required_in=()),
    S("MAGENTO_PASSWORD", str, "", "Magento integration admin password.", secret=True),
    S("MAGENTO_TIMEOUT_CONNECT", _positive_float, 3.0, "Magento connect timeout (s)."),
    S("MAGENTO_TIMEOUT_READ", _positive_float, 20.0, "Magento read timeout (s); below GUNICORN_TIMEOUT."),
    S("MAGENTO_RETRY_MAX_ATTEMPTS", _positive_int, 4, "Attempts per idempotent Magento call."),
    S("MAGENTO_RETRY_MAX_WAIT", _positive_float, 20.0, "Longest total backoff per Magento call (s)."),
    S("MAGENTO_TOKEN_TTL", _positive_int, 3500, "Seconds the shared admin token is reused."),
    S("MAGENTO_TIMEOUT_WRITE", _positive_float, 20.0, "Magento write timeout (s): sending a request body."),
    S("MAGENTO_TIMEOUT_POOL", _positive_float, 3.0, "Wait (s) for a free pooled Magento connection."),
    S("MAGENTO_POOL_MAX_CONNECTIONS", _positive_int, 20, "Open Magento connections per worker process."),
    S("MAGENTO_POOL_MAX_KEEPALIVE", _positive_int, 10, "Idle keep-alive Magento connections per process."),
    S("MAGENTO_VERIFY_TLS", _bool, True, "Verify the shop's TLS certificate."),
    S("MAGENTO_RETRY_MAX_TIME", _positive_float, 45.0,
      "Wall-clock budget (s) of one background Magento call (sync jobs), retries and waits included; "
      "capped below GUNICORN_TIMEOUT."),
    S("MAGENTO_REQUEST_BUDGET", _positive_float, 20.0,
      "Wall-clock budget (s) of one Magento call made while serving a request: slot wait, attempts and backoff; "
      "below the frontend's 30 s timeout."),
    S("MAGENTO_RETRY_BACKOFF_BASE", _positive_float, 0.5, "First backoff ceiling (s); doubles per retry."),
    S("MAGENTO_RETRY_BACKOFF_MAX", _positive_float, 8.0, "Largest backoff ceiling (s) of one retry (full jitter)."),
    S("MAGENTO_TOKEN_REFUSED_COOLDOWN", _positive_int, 300,
      "Seconds no worker asks for a new admin token after Magento refused the credentials (lockout guard)."),
    S("SANDBOX_PORT", int, 8081, "Port of the local Magento sandbox (development quick start)."),
    S("SANDBOX_PROFILE", _choice("demo", "large"), "demo",
      "Sandbox shop size: demo (small) or large (20,000 SKUs x 12 sources, 50,000 orders, 5,000 customers)."),
    S("SANDBOX_LATENCY_MS", _latency, "0",
      "Sandbox answer time per call (ms): N (+-25 % seeded jitter) or LOW-HIGH; 150-400 is a real shop."),
    # Resilience: circuit breakers and bulkheads (app/services/resilience, docs/resilience.md)
    S("BREAKERS_ENABLED", _bool, True, "Circuit breakers on Magento and the databases (off in tests unless asked).",
      per_env={"testing": False}),
    S("BREAKER_FAILURE_THRESHOLD", _positive_int, 5,
      "Consecutive failures (timeouts, connection errors, 5xx; not 4xx) that open an upstream's breaker."),
    S("BREAKER_RESET_TIMEOUT", _positive_float, 15.0, "Seconds an open breaker refuses calls before one probe."),
    S("BULKHEADS_ENABLED", _bool, True, "Cap concurrent Magento calls (off in tests unless asked).",
      per_env={"testing": False}),
    S("MAGENTO_MAX_CONCURRENT_PER_WORKER", _positive_int, 0,
      "In-flight Magento calls per worker process; 0 = half of GUNICORN_THREADS (at least 1)."),
    S("MAGENTO_MAX_CONCURRENT_PER_HOST", _positive_int, 16, "In-flight Magento calls per host, all workers; 0 = no cap."),
    S("MDM_MAX_CONCURRENT_PER_WORKER", _positive_int, 0,
      "MDM database sessions in flight per worker process; 0 = the MDM pool's capacity (2 x DB_POOL_SIZE), "
      "never less."),
    S("BULKHEAD_WAIT", _positive_float, 10.0,
      "Longest wait (s) for a Magento or MDM slot before a 503; at most half of the call's own budget."),
    S("MAGENTO_ANALYTICS_PAGE_SIZE", _positive_int, 300,
      "Page size of the snapshot job's Magento reads (at most 300, Magento 2.4's default input limit)."),
    S("MAGENTO_ANALYTICS_CONCURRENCY", _positive_int, 4,
      "Pages the snapshot job reads at once (at most half the worker's Magento slots)."),
    S("MAGENTO_SALES_MONTHS", _positive_int, 12, "Months of orders the sales chart covers."),
    S("MAGENTO_LOW_STOCK_QTY", _positive_float, 5.0, "Quantity at or below which an in-stock SKU counts as low stock."),
    S("MAGENTO_HEALTH_TIMEOUT", _positive_float, 2.0, "Budget (s) of the Magento health probe (one attempt, no retry)."),
    # Dashboard snapshots (issue 14, app/services/snapshots, docs/dashboards.md)
    S("SNAPSHOT_SCHEDULE", str, "*/15 * * * *",
      "Cron of the incremental snapshot refresh (products and orders changed since; empty = off).",
      per_env={"testing": ""}),
    S("SNAPSHOT_SCHEDULE_FULL", str, "30 3 * * *",
      "Cron of the full snapshot rebuild, the guard against drift of incremental refreshes (empty = off).",
      per_env={"testing": ""}),
    S("SNAPSHOT_AUTO_REFRESH", _bool, True, "Start snapshot builds by themselves: at start when one is missing, "
      "after syncs that change the charts, on a read before the first build.", per_env={"testing": False}),
    S("SNAPSHOT_RETRY_AFTER", _positive_int, 30, "Retry-After (s) of the 503 snapshot_pending answered before the "
      "first build of a dataset ends."),
    # Sync engine and background jobs (issue 5)
    S("SYNC_RUNNER_ENABLED", _bool, True, "Run the job runner and the scheduler threads inside each Gunicorn worker.",
      per_env={"testing": False}),
    S("SYNC_BATCH_SIZE", _positive_int, 300, "Source items / prices per Magento call (shrinks to the shop's input limit)."),
    S("SYNC_PARALLEL_SOURCES", _positive_int, 5, "Sources pushed in parallel by one stock job."),
    S("SYNC_SOURCE_INFLIGHT", _positive_int, 2, "Batches of one source in flight at once (distinct SKUs: order-free)."),
    S("SYNC_RUNNER_CONCURRENCY", _positive_int, 2, "Jobs one worker process runs at the same time."),
    S("SYNC_POLL_INTERVAL", _positive_float, 2.0, "Seconds between claims of pending jobs by an idle runner."),
    S("SYNC_LEASE_SECONDS", _positive_float, 60.0, "Lease of a running job; expired = its worker died, resumed elsewhere."),
    S("SYNC_HEARTBEAT_SECONDS", _positive_float, 10.0, "Seconds between lease renewals of a running job."),
    S("SYNC_MAX_ATTEMPTS", _positive_int, 3, "Times a job is (re)started after interruptions before it fails."),
    S("SYNC_WAIT_MAX", _positive_float, 3600.0, "Longest time (s) a job waits for an unavailable upstream."),
    S("SYNC_WAIT_INTERVAL", _positive_float, 5.0, "Seconds between probes while a job waits for an upstream."),
    S("SYNC_BATCH_RETRIES", _positive_int, 3, "Extra tries of a batch after a transient failure escaped the client."),
    S("SYNC_REQUEST_WAIT", _positive_float, 5.0, "Seconds a price sync request waits for its job before answering 202."),
    S("SYNC_SCHEDULE_PRICES", str, "0 */6 * * *", "Cron of the price sync (empty = off)."),
    S("SYNC_SCHEDULE_STOCKS", str, "0 */4 * * *", "Cron of the stock pipeline (MERGE, push, acknowledge; empty = off)."),
    S("SYNC_SCHEDULE_FULL", str, "0 2 * * *", "Cron of the full inventory re-push (every row, not only changed; empty = off)."),
    S("SYNC_SCHEDULE_PRUNE", str, "30 3 * * *", "Cron of the job-history pruning (JOB_RETENTION_DAYS; empty = off)."),
    S("JOB_RETENTION_DAYS", _positive_int, 30, "Days finished jobs (and schedule runs) are kept (0 = forever)."),
    S("SYNC_TIMEZONE", str, "Africa/Casablanca", "Time zone the cron expressions are read in."),
    S("SYNC_SCHEDULE_GRACE", _positive_float, 3600.0, "A run missed by less than this (s) still fires once; older ones are skipped."),
    S("SYNC_SCHEDULER_TICK", _positive_float, 15.0, "Seconds between scheduler checks."),
    S("SYNC_SCHEDULER_ENABLED", _bool, True, "Run the scheduler thread in the workers (off when `manage.py scheduler` runs it)."),
    S("PRICE_STORE_ID", _positive_int, 0, "Magento store id of pushed base prices (0 = global)."),
    S("PRICE_BULK_TIMEOUT", _positive_float, 120.0, "Seconds the price sync polls an async bulk before the base-prices fallback."),
    S("PRICE_BULK_POLL", _positive_float, 1.0, "Seconds between async bulk status polls."),
    S("MAX_PRICE", _positive_float, 10_000_000.0, "Largest price a client may send (a price above it is a 400)."),
    S("PRICE_BULK_CHUNK", _positive_int, 1000, "Products per async bulk request."),
    # Images
    S("IMAGE_POOL_SIZE", _positive_int, 0, "Image processes per worker; 0 = cores / workers - 1 (at least 1)."),
    S("IMAGE_TASK_TIMEOUT", _positive_float, 30.0, "Seconds one image task may run once a process has it "
      "(queue wait excluded; also the longest wait for a free process); below GUNICORN_TIMEOUT."),
    S("IMAGE_QUEUE_SIZE", _positive_int, 0, "Image requests per worker that may wait for a free image process; "
      "0 = GUNICORN_THREADS - 1 - pool size. Image requests in a worker always stay below GUNICORN_THREADS; "
      "more get 503 image_queue_full with Retry-After."),
    S("IMAGE_MAXTASKSPERCHILD", _positive_int, 200, "Tasks an image process runs before it is replaced."),
    S("IMAGE_CHILD_MEMORY", _bytes, 1024 ** 3, "Address-space limit of each image process (0 = none)."),
    S("IMAGE_MAX_BYTES", _bytes, 15 * 1024 ** 2, "Largest accepted image file (bytes or 15M)."),
    S("IMAGE_MAX_PIXELS", _positive_int, 50_000_000, "Largest decoded image (width x height): bomb guard."),
    S("IMAGE_MAX_SIDE", _positive_int, 16383, "Longest accepted image side in pixels."),
    S("IMAGE_MAX_OUTPUT_PIXELS", _positive_int, 40_000_000,
      "Total pixels of the outputs one image may produce (413 image_output_too_large above; duplicates merged)."),
    S("IMAGE_MAX_OUTPUT_BYTES", _bytes, 32 * 1024 ** 2,
      "Total encoded bytes of the outputs one image may produce (413 image_output_too_large above)."),
    S("IMAGE_BATCH_MAX_BYTES", _bytes, 256 * 1024 ** 2, "Disk one image batch may take, inputs plus estimated "
      "outputs; refused before anything is written (413 image_batch_too_large); 0 = no quota."),
    S("IMAGE_OUTPUT_MAX_BYTES", _bytes, 2 * 1024 ** 3, "Disk IMAGE_OUTPUT_DIR may take in all; a batch that would "
      "pass it is refused before anything is written (507 image_storage_full); 0 = no quota."),
    S("IMAGE_OUTPUT_DIR", str, str(ROOT / "instance" / "images"), "Where batch and CLI image outputs go."),
    S("IMAGE_BATCH_RETENTION_DAYS", _positive_int, 7, "Days a finished batch directory is kept (0 = forever)."),
]
del S


class Settings:
    """Frozen, validated settings; attribute names are the variable names in lower case."""

    def __init__(self, env: str, values: dict[str, Any]) -> None:
        object.__setattr__(self, "env", env)
        object.__setattr__(self, "_values", values)
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("settings are read-only")

    def __getattr__(self, name: str) -> Any:  # only reached for unknown names
        raise AttributeError(f"no setting named {name!r}")

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def as_dict(self, mask_secrets: bool = True) -> dict[str, Any]:
        out = {}
        for setting in SETTINGS:
            value = self._values[setting.attr]
            if mask_secrets and setting.secret and value:
                value = "****"
            out[setting.env] = value
        return out

    def ttl(self, namespace: str) -> int:
        ttls = self._values["cache_ttls"]
        return int(ttls.get(namespace, ttls.get("default", 300)))


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def load_settings(env: str | None = None, environ: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Settings:
    """Build and validate the settings for `env` (default: APP_ENV, else development).

    Raises ConfigError naming every bad or missing variable.
    """
    source = dict(_read_dotenv(ROOT / ".env")) if environ is None else {}
    source.update(os.environ if environ is None else environ)
    env = env or source.get("APP_ENV") or "development"
    if env not in ENVIRONMENTS:
        raise ConfigError([f"APP_ENV: {env!r} is not one of {', '.join(ENVIRONMENTS)}"])
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    problems: list[str] = []
    for setting in SETTINGS:
        if setting.env in overrides:
            values[setting.attr] = overrides.pop(setting.env)
            continue
        raw = source.get(setting.env)
        # An empty value means "use the default", except for text settings, where "" is a value
        # (e.g. SYNC_SCHEDULE_STOCKS="" turns that schedule off).
        if raw is None or (raw == "" and setting.parse is not str):
            value = setting.default_for(env)
            if setting.env == "CACHE_TTLS":
                value = dict(value)
            if env in setting.required_in and value in (None, ""):
                problems.append(f"{setting.env}: required when APP_ENV={env} ({setting.help})")
            values[setting.attr] = value
            continue
        try:
            value = setting.parse(raw)
        except (ValueError, TypeError) as exc:
            problems.append(f"{setting.env}: {exc} (got {'****' if setting.secret else repr(raw)})")
            continue
        if setting.env == "CACHE_TTLS":
            value = {**setting.default, **value}
        values[setting.attr] = value
    if overrides:
        problems.append(f"unknown settings: {', '.join(sorted(overrides))}")
    if env == "production" and not values.get("api_tokens") and not values.get("secret_key"):
        problems.append("API_TOKENS: production needs at least one API token or a SECRET_KEY for logins")
    if values.get("magento_url") and not (values.get("magento_username") and values.get("magento_password")):
        problems.append("MAGENTO_USERNAME/MAGENTO_PASSWORD: required when MAGENTO_URL is set")
    problems.extend(oidc_problems(env, values))
    from config.budgets import problems as budget_problems  # budgets.py owns the cross-setting rules

    problems.extend(budget_problems(_Values(env, values)))
    if problems:
        raise ConfigError(problems)
    return Settings(env, values)


class _Values:
    """Attribute view of the values being validated; a value that failed to parse reads as its default."""

    def __init__(self, env: str, values: Mapping[str, Any]) -> None:
        self._env, self._values = env, values

    def __getattr__(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        return next(s.default_for(self._env) for s in SETTINGS if s.attr == name)
