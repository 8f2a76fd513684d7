"""An OIDC issuer's signing keys: discovery, the JWKS fetch over HTTP, and the per-process key cache.

Parsing is PyJWT's (`PyJWKSet`); this module only moves bytes and decides when to fetch again:
after `ttl` seconds, or sooner when a token names a key id the cache does not hold (key rotation),
never more often than once per `min_interval` seconds. A failed fetch keeps the keys already held.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKSetError

from config.parsers import url_problem

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 256 * 1024  # a discovery document or key set is a few KiB; refuse anything huge
DISCOVERY_PATH = "/.well-known/openid-configuration"


class KeySourceUnavailable(Exception):
    """The issuer's discovery document or key set could not be fetched or parsed."""


class NoSigningKeys(Exception):
    """No key has ever been fetched (or every fetch failed): no OIDC token can be checked right now."""


@dataclass(frozen=True)
class KeySourceConfig:
    issuer: str
    jwks_url: str  # empty: read jwks_uri from the issuer's discovery document
    timeout: float
    allow_loopback_http: bool = False


class KeyFetcher:
    """HTTP transport: the discovery document (once) and the key set, each bounded in time and size."""

    def __init__(self, config: KeySourceConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._jwks_url = config.jwks_url
        self._client = httpx.Client(timeout=httpx.Timeout(config.timeout), transport=transport,
                                    follow_redirects=False, headers={"Accept": "application/json"})

    def _get_json(self, url: str) -> Any:
        try:
            with self._client.stream("GET", url) as resp:
                if resp.status_code != 200:
                    raise KeySourceUnavailable(f"{url} answered {resp.status_code}")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise KeySourceUnavailable(f"{url} sent more than {MAX_DOCUMENT_BYTES} bytes")
            return json.loads(body)
        except httpx.HTTPError as exc:
            raise KeySourceUnavailable(f"{url}: {type(exc).__name__}") from exc
        except ValueError as exc:
            raise KeySourceUnavailable(f"{url} did not send JSON") from exc

    def jwks_url(self) -> str:
        if self._jwks_url:
            return self._jwks_url
        doc = self._get_json(self.config.issuer.rstrip("/") + DISCOVERY_PATH)
        if not isinstance(doc, dict) or doc.get("issuer") != self.config.issuer:
            # OpenID Connect Discovery 1.0, section 4.3: the document must name the configured issuer.
            raise KeySourceUnavailable("the discovery document names another issuer")
        url = doc.get("jwks_uri")
        problem = url_problem(url, self.config.allow_loopback_http) if isinstance(url, str) else "is missing"
        if problem or not isinstance(url, str):
            raise KeySourceUnavailable(f"the discovery document's jwks_uri {problem}")
        self._jwks_url = url
        return url

    def fetch(self) -> dict[str, PyJWK]:
        """The signing keys by key id. Raises KeySourceUnavailable."""
        doc = self._get_json(self.jwks_url())
        raw = doc.get("keys") if isinstance(doc, dict) else None
        # Public signing keys only: a symmetric ("oct") key in a published set is never trusted.
        usable = [k for k in raw or () if isinstance(k, dict) and isinstance(k.get("kid"), str)
                  and k.get("kty") in ("RSA", "EC") and k.get("use", "sig") == "sig"]
        try:
            keys = PyJWKSet(usable).keys  # PyJWT parses each JWK and skips the ones it cannot use
        except PyJWKSetError as exc:
            raise KeySourceUnavailable(f"the key set holds no usable signing key ({exc})") from exc
        return {key.key_id: key for key in keys if key.key_id}

    def close(self) -> None:
        self._client.close()


class KeyCache:
    """Keys by id, refreshed after `ttl`, or on an unknown kid at most once per `min_interval` seconds."""

    def __init__(self, fetch: Callable[[], Mapping[str, PyJWK]], ttl: float, min_interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self.ttl = ttl
        self.min_interval = min_interval
        self._clock = clock
        self._keys: Mapping[str, PyJWK] | None = None
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = threading.Lock()
        self.generation = 0  # bumped whenever the set of key ids changes (verified-token caches reset)

    def key_for(self, kid: str) -> PyJWK | None:
        """The key named `kid`, or None when the issuer does not publish it.

        Raises NoSigningKeys when no key set could ever be fetched.
        """
        keys, now = self._keys, self._clock()
        if keys is None or kid not in keys or now - self._fetched_at >= self.ttl:
            keys = self._refresh(now)
        if keys is None:
            raise NoSigningKeys("no signing keys could be fetched from the issuer")
        return keys.get(kid)

    def fresh_generation(self) -> int:
        """The key set's generation, after a (rate-limited) refresh when the TTL has run out."""
        now = self._clock()
        if self._keys is not None and now - self._fetched_at >= self.ttl:  # none held: nothing to invalidate
            self._refresh(now)
        return self.generation

    def _refresh(self, now: float) -> Mapping[str, PyJWK] | None:
        with self._lock:  # one fetch at a time; the threads that waited see its result
            if now - self._attempted_at < self.min_interval:
                return self._keys
            self._attempted_at = self._clock()
            try:
                keys = self._fetch()
            except KeySourceUnavailable as exc:
                log.warning("OIDC key set not refreshed: %s (%s)", exc,
                            "keeping the cached keys" if self._keys else "no keys held",
                            extra={"event": "oidc_keys_unavailable"})
                return self._keys
            if self._keys is None or set(keys) != set(self._keys):
                self.generation += 1
                log.info("OIDC key set loaded: %d keys", len(keys), extra={"event": "oidc_keys_loaded"})
            self._keys, self._fetched_at = keys, self._clock()
            return keys

    @property
    def size(self) -> int:
        return len(self._keys or {})
