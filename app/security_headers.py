"""Talisman with its response headers computed once per route instead of once per response."""
from __future__ import annotations

from typing import Any

import flask
from flask_talisman import Talisman


class CachedTalisman(Talisman):
    """flask-talisman whose per-route options and fixed headers (CSP, frame options, nosniff, referrer
    policy...) are computed at a route's first response and reused: they depend on the route's options only.
    HSTS still depends on each request (sent on HTTPS only), and no CSP nonce is configured: a route whose
    options ask for one gets Talisman's own per-request path. The HTTPS redirect tests the route's option
    first and reads the scheme from the WSGI environment."""

    def init_app(self, app: flask.Flask, **kwargs: Any) -> None:
        self._options_by_endpoint: dict[str | None, dict[str, Any]] = {}
        self._headers_by_endpoint: dict[str | None, tuple[tuple[str, str], ...]] = {}
        super().init_app(app, **kwargs)
        self._hsts = self._hsts_value()
        if self.session_cookie_secure and not app.debug:
            app.config["SESSION_COOKIE_SECURE"] = True  # what Talisman's _force_https set on every request

    def _hsts_value(self) -> str:
        value = f"max-age={self.strict_transport_security_max_age}"
        if self.strict_transport_security_include_subdomains:
            value += "; includeSubDomains"
        if self.strict_transport_security_preload:
            value += "; preload"
        return value

    @staticmethod
    def _is_https() -> bool:
        environ = flask.request.environ
        # request.is_secure, or the proxy's header (Talisman's two tests), without building the request's URL
        return environ["wsgi.url_scheme"] in ("https", "wss") or \
            environ.get("HTTP_X_FORWARDED_PROTO", "http") == "https"

    def _force_https(self) -> flask.Response | None:
        # Talisman's own test reads the scheme, a header and the debug flag before the route's option;
        # most routes answer the option first (False in development, and for the metrics scrapes).
        if not self._get_local_options()["force_https"] or self.app.debug or self._is_https():
            return None
        return super()._force_https()  # type: ignore[no-any-return]

    def _set_hsts_headers(self, headers: Any) -> None:
        if self.strict_transport_security and self._is_https():
            headers["Strict-Transport-Security"] = self._hsts

    def _get_local_options(self) -> dict[str, Any]:
        endpoint = flask.request.endpoint
        options = self._options_by_endpoint.get(endpoint)
        if options is None:
            options = self._options_by_endpoint[endpoint] = super()._get_local_options()
        return options

    def _make_nonce(self) -> None:
        if self._get_local_options()["content_security_policy_nonce_in"]:
            super()._make_nonce()

    def _set_response_headers(self, response: flask.Response) -> flask.Response:
        options = self._get_local_options()
        if options["content_security_policy_nonce_in"]:
            return super()._set_response_headers(response)
        endpoint = flask.request.endpoint
        fixed = self._headers_by_endpoint.get(endpoint)
        if fixed is None:
            headers: dict[str, str] = {}
            self._set_feature_policy_headers(headers, options)
            self._set_permissions_policy_headers(headers, options)
            self._set_document_policy_headers(headers, options)
            self._set_frame_options_headers(headers, options)
            self._set_content_security_policy_headers(headers, options)
            self._set_referrer_policy_headers(headers)
            fixed = self._headers_by_endpoint[endpoint] = tuple(headers.items())
        # One pass over the response's headers instead of one per fixed header (Headers.__setitem__
        # searches the list to replace an earlier value): replaced if a view set it, else added.
        headers = response.headers
        present = {name.lower() for name in headers.keys()}
        for name, value in fixed:
            if name.lower() in present:
                headers[name] = value
            else:
                headers.add(name, value)
        self._set_hsts_headers(response.headers)
        return response
