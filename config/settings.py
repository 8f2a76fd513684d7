"""Loading and validating the settings: the environment (then an optional `.env`) read through the sections.

The sections (config/sections.py) say what each variable is; `load_settings` parses every one, applies the
per-environment defaults, runs the cross-setting checks (config/budgets.py, the OIDC checks) and stops the
start with one line per bad or missing variable. The result is one frozen `Settings` of typed sections.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from config.parsers import oidc_problems
from config.sections import (
    MASK,
    ROOT,
    AuthSettings,
    CacheSettings,
    DatabaseSettings,
    HttpSettings,
    ImageSettings,
    LoggingSettings,
    MagentoSettings,
    MdmSettings,
    ResilienceSettings,
    ServerSettings,
    Setting,
    SnapshotSettings,
    SyncSettings,
)

ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(Exception):
    """Raised with one line per bad or missing setting."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Invalid configuration:\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Frozen, validated settings: `settings.<section>.<knob>`, e.g. `settings.magento.timeout_read`."""

    env: str
    server: ServerSettings
    http: HttpSettings
    logging: LoggingSettings
    auth: AuthSettings
    cache: CacheSettings
    database: DatabaseSettings
    mdm: MdmSettings
    magento: MagentoSettings
    resilience: ResilienceSettings
    snapshots: SnapshotSettings
    sync: SyncSettings
    images: ImageSettings

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def as_dict(self, mask_secrets: bool = True) -> dict[str, Any]:
        """Every variable's effective value by its name, in table order (secrets masked)."""
        out = {}
        for name, section_cls in SECTIONS:
            section = getattr(self, name)
            for f in fields(section_cls):
                setting, value = f.metadata["setting"], getattr(section, f.name)
                out[setting.env] = MASK if mask_secrets and setting.secret and value else value
        return out


# (attribute of Settings, section class), in the order of the README's configuration table.
SECTIONS: tuple[tuple[str, type[Any]], ...] = (
    ("server", ServerSettings), ("http", HttpSettings), ("logging", LoggingSettings), ("auth", AuthSettings),
    ("cache", CacheSettings), ("database", DatabaseSettings), ("mdm", MdmSettings), ("magento", MagentoSettings),
    ("resilience", ResilienceSettings), ("snapshots", SnapshotSettings), ("sync", SyncSettings),
    ("images", ImageSettings),
)
# Every variable, in table order, with where it lives: (section attribute, field name, Setting).
PLACES: tuple[tuple[str, str, Setting], ...] = tuple(
    (name, f.name, f.metadata["setting"]) for name, cls in SECTIONS for f in fields(cls))
SETTINGS: list[Setting] = [setting for _, _, setting in PLACES]
# Variables that were settings and are now named constants of the module that uses them (docs/configuration.md
# says why); `manage.py config check` names any still set, since they are ignored.
REMOVED: dict[str, str] = {
    "CACHE_PROBE_INTERVAL": "app/adapters/redis.py PROBE_INTERVAL",
    "CACHE_FALLBACK_MAX_ITEMS": "app/adapters/cache.py FALLBACK_MAX_ITEMS",
    "CACHE_FALLBACK_MAX_BYTES": "app/adapters/cache.py FALLBACK_MAX_BYTES",
    "CACHE_FALLBACK_MAX_TTL": "app/adapters/cache.py FALLBACK_MAX_TTL",
    "HEALTH_CACHE_SECONDS": "app/services/health.py HEALTH_CACHE_SECONDS",
    "MAX_REQUESTS_JITTER": "gunicorn.conf.py MAX_REQUESTS_JITTER_DIVISOR (jitter = MAX_REQUESTS // 10)",
    "MDM_SLOW_QUERY_MS": "app/services/mdm/database.py SLOW_QUERY_MS",
    "MAGENTO_POOL_MAX_KEEPALIVE": "app/adapters/magento/extension.py POOL_MAX_KEEPALIVE",
    "MAGENTO_TOKEN_REFUSED_COOLDOWN": "app/adapters/magento/extension.py TOKEN_REFUSED_COOLDOWN",
    "SNAPSHOT_RETRY_AFTER": "app/services/snapshots/__init__.py PENDING_RETRY_AFTER",
    "PRICE_BULK_CHUNK": "app/services/sync/prices.py BULK_CHUNK",
    "IMAGE_MAXTASKSPERCHILD": "workers/pool.py DEFAULT_MAXTASKSPERCHILD",
    "IMAGE_CHILD_MEMORY": "workers/pool.py DEFAULT_MEMORY_LIMIT",
    "IMAGE_MAX_PIXELS": "app/imaging/limits.py DEFAULT_MAX_PIXELS",
    "IMAGE_MAX_SIDE": "app/imaging/limits.py DEFAULT_MAX_SIDE",
    "IMAGE_MAX_OUTPUT_PIXELS": "app/imaging/limits.py DEFAULT_MAX_OUTPUT_PIXELS",
    "IMAGE_MAX_OUTPUT_BYTES": "app/imaging/limits.py DEFAULT_MAX_OUTPUT_BYTES",
    "AUTH_OIDC_LEEWAY": "app/services/oidc.py LEEWAY",
    "AUTH_OIDC_JWKS_TTL": "app/services/oidc.py JWKS_TTL",
    "AUTH_OIDC_CACHE_SIZE": "app/services/oidc.py CACHE_SIZE",
}


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def load_settings(env: str | None = None, environ: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Settings:
    """Build and validate the settings for `env` (default: APP_ENV, else development).

    `overrides` replaces parsed values by variable name (tests). Raises ConfigError naming every bad or
    missing variable.
    """
    source = dict(_read_dotenv(ROOT / ".env")) if environ is None else {}
    source.update(os.environ if environ is None else environ)
    env = env or source.get("APP_ENV") or "development"
    if env not in ENVIRONMENTS:
        raise ConfigError([f"APP_ENV: {env!r} is not one of {', '.join(ENVIRONMENTS)}"])
    overrides = dict(overrides or {})
    values: dict[str, dict[str, Any]] = {name: {} for name, _ in SECTIONS}
    problems: list[str] = []
    for section, name, setting in PLACES:
        values[section][name] = _value(setting, env, source, overrides, problems)
    if overrides:
        problems.append(f"unknown settings: {', '.join(sorted(overrides))}")
    # A value that failed to parse holds its default here, so the cross-checks below still run.
    settings = Settings(env, **{name: cls(**values[name]) for name, cls in SECTIONS})
    if env == "production" and not settings.auth.api_tokens and not settings.auth.secret_key:
        problems.append("API_TOKENS: production needs at least one API token or a SECRET_KEY for logins")
    magento = settings.magento
    if magento.url and not (magento.username and magento.password):
        problems.append("MAGENTO_USERNAME/MAGENTO_PASSWORD: required when MAGENTO_URL is set")
    problems.extend(oidc_problems(env, settings.auth))
    from config.budgets import problems as budget_problems  # budgets.py owns the cross-setting rules

    problems.extend(budget_problems(settings))
    if problems:
        raise ConfigError(problems)
    return settings


def _value(setting: Setting, env: str, source: Mapping[str, str], overrides: dict[str, Any],
           problems: list[str]) -> Any:
    """One variable's typed value: the override, the parsed text, or the environment's default."""
    if setting.env in overrides:
        return overrides.pop(setting.env)
    raw = source.get(setting.env)
    # An empty value means "use the default", except for text settings, where "" is a value
    # (e.g. SYNC_SCHEDULE_STOCKS="" turns that schedule off).
    if raw is None or (raw == "" and setting.parse is not str):
        value = setting.default_for(env)
        if env in setting.required_in and value in (None, ""):
            problems.append(f"{setting.env}: required when APP_ENV={env} ({setting.help})")
        return dict(value) if isinstance(value, dict) else value
    try:
        value = setting.parse(raw)
    except (ValueError, TypeError) as exc:
        problems.append(f"{setting.env}: {exc} (got {MASK if setting.secret else repr(raw)})")
        return setting.default_for(env)
    if setting.env == "CACHE_TTLS":  # named TTLs are merged over the defaults
        value = {**setting.default, **value}
    return value
