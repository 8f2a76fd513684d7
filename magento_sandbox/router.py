"""Magento-style REST router: templates like 'V1/products/:sku', literal segments beat placeholders,
a path that matches only with another verb is still 'no route' (Magento never answers 405)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    resource: str  # ACL resource named in the 401 body
    anonymous: bool = False

    @property
    def segments(self) -> list[str]:
        return self.template.split("/")

    @property
    def specificity(self) -> tuple[int, int]:
        segs = self.segments
        return (sum(1 for s in segs if not s.startswith(":")), len(segs))


class Router:
    """A route table: add() at start-up, match() per request."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, template: str, resource: str, *,
            anonymous: bool = False) -> Callable[[Handler], Handler]:
        """Decorator registering `handler` for METHOD template."""
        def deco(handler: Handler) -> Handler:
            self._routes.append(Route(method.upper(), template, handler, resource, anonymous))
            self._routes.sort(key=lambda r: r.specificity, reverse=True)
            return handler
        return deco

    def match(self, method: str, segments: list[str]) -> tuple[Route, dict[str, str]] | None:
        """The most specific route for (method, decoded path segments) and its placeholders."""
        for route in self._routes:
            if route.method != method:
                continue
            tpl = route.segments
            if len(tpl) != len(segments):
                continue
            params: dict[str, str] = {}
            for t, s in zip(tpl, segments, strict=True):
                if t.startswith(":"):
                    if s == "":
                        break
                    params[t[1:]] = s
                elif t != s:
                    break
            else:
                return route, params
        return None

    def routes(self) -> list[Route]:
        return list(self._routes)
