"""searchCriteria: parse PHP-style bracket query keys, filter (groups AND, filters OR), sort, page and
echo the criteria in snake_case, as Magento's getList() implementations do. No I/O here."""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .errors import MagentoError
from .inputs import as_int, is_numeric

_KEY_PART = re.compile(r"\[([^\]]*)\]")
_ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")

# Magento resolves DTO setters from either spelling (snake_case is converted to CamelCase).
_ALIASES = {
    "filter_groups": "filterGroups", "sort_orders": "sortOrders", "page_size": "pageSize",
    "current_page": "currentPage", "condition_type": "conditionType",
}
_CRITERIA_KEYS = {"filterGroups", "sortOrders", "pageSize", "currentPage"}
_FILTER_KEYS = {"field", "value", "conditionType"}
_SORT_KEYS = {"field", "direction"}


def parse_query(pairs: Iterable[tuple[str, str]]) -> dict:
    """Turn `a[b][0][c]=v` pairs into nested dicts the way PHP builds $_GET (last value wins)."""
    root: dict = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head] + (_KEY_PART.findall("[" + rest) if rest else [])
        node = root
        for part in parts[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = node[part] = {}
            node = nxt
        node[parts[-1]] = value
    return root


@dataclass
class Filter:
    field: str
    value: str | None
    condition_type: str = "eq"


@dataclass
class SearchCriteria:
    filter_groups: list[list[Filter]] = field(default_factory=list)
    sort_orders: list[tuple[str, str | None]] = field(default_factory=list)
    page_size: int | None = None
    current_page: int | None = None

    def echo(self) -> dict:
        """The snake_case `search_criteria` echo; null members are omitted."""
        out: dict[str, Any] = {
            "filter_groups": [
                {"filters": [{"field": f.field, "value": f.value, "condition_type": f.condition_type}
                             if f.value is not None else
                             {"field": f.field, "condition_type": f.condition_type} for f in group]}
                for group in self.filter_groups
            ]
        }
        if self.sort_orders:
            out["sort_orders"] = [
                {"field": f, "direction": d} if d is not None else {"field": f} for f, d in self.sort_orders
            ]
        if self.page_size is not None:
            out["page_size"] = self.page_size
        if self.current_page is not None:
            out["current_page"] = self.current_page
        return out


def _norm(data: dict, allowed: set[str]) -> dict:
    out = {}
    for key, value in data.items():
        name = _ALIASES.get(key, key)
        if name not in allowed:
            # No setter for this property: Magento 2.4.x fails with an internal error.
            raise errors.internal_error()
        out[name] = value
    return out


def _indexed(value: Any) -> list:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=lambda k: int(k) if str(k).isdigit() else 0)]
    if isinstance(value, list):
        return value
    raise errors.invalid_type(value, "array")


def criteria_from_query(query: dict, *, param: str = "searchCriteria", strict: bool = False,
                        max_page_size: int = 300, default_page_size: int = 20) -> SearchCriteria:
    """Build the SearchCriteria DTO from the nested query; raises Magento's 400s."""
    if param not in query:
        raise errors.required(param)
    raw = query[param]
    if raw == "" or raw is None:
        raw = {}  # `?searchCriteria=` is accepted by Magento and means "everything"
    if not isinstance(raw, dict):
        raise errors.invalid_type(raw, "Magento\\Framework\\Api\\SearchCriteriaInterface")
    raw = _norm(raw, _CRITERIA_KEYS)
    crit = SearchCriteria()
    for group in _indexed(raw.get("filterGroups", {})):
        filters = []
        if isinstance(group, dict):
            for f in _indexed(group.get("filters", {})):
                f = _norm(f if isinstance(f, dict) else {}, _FILTER_KEYS)
                filters.append(Filter(str(f.get("field", "")), f.get("value"),
                                      (f.get("conditionType") or "eq").lower()))
        crit.filter_groups.append(filters)
    for s in _indexed(raw.get("sortOrders", {})):
        s = _norm(s if isinstance(s, dict) else {}, _SORT_KEYS)
        direction = s.get("direction")
        if direction is not None and str(direction).upper() not in {"ASC", "DESC"}:
            raise MagentoError(400, 'Sort order "%1" is not supported. Use "ASC" or "DESC" instead.',
                               [str(direction)])
        crit.sort_orders.append((str(s.get("field", "")), str(direction).upper() if direction else None))
    crit.page_size = as_int(raw.get("pageSize"))
    crit.current_page = as_int(raw.get("currentPage"))
    if strict:
        # Input limits mode (2.4.3 always; later only when webapi/validation/input_limit_enabled).
        if crit.page_size is None:
            crit.page_size = default_page_size
        if crit.page_size > max_page_size:
            raise MagentoError(400, errors.MAX_PAGE_SIZE, {"max": max_page_size})
    return crit


def _normalize_scalar(value: Any) -> Any:
    if isinstance(value, str):
        m = _ISO_DATETIME.match(value)
        if m:
            return f"{m.group(1)} {m.group(2)}"
    return value


@functools.lru_cache(maxsize=262_144)
def _str_keys(value: str) -> tuple[tuple, tuple]:
    """(comparison key, as-text key) of a string; cached because a search over the large shop compares the
    same 50,000 timestamps on every call."""
    text = (2, 0, str(_normalize_scalar(value)).casefold())
    return ((1, float(value), "") if is_numeric(value) else text), text


def cmp_key(value: Any) -> tuple:
    """MySQL-ish comparison key: numbers numerically, strings case-insensitively."""
    if value is None:
        return (0, 0, "")
    if isinstance(value, str):
        return _str_keys(value)[0]
    if isinstance(value, bool):
        value = int(value)
    if is_numeric(value):
        return (1, float(value), "")
    return (2, 0, str(_normalize_scalar(value)).casefold())


def text_key(value: Any) -> tuple:
    """The key MySQL-ish comparison falls back to when a number meets a text (both compared as text)."""
    return _str_keys(value)[1] if isinstance(value, str) else (2, 0, str(_normalize_scalar(value)).casefold())


def _compare(left: Any, right: Any) -> int | None:
    if left is None or right is None:
        return None
    a, b = cmp_key(left), cmp_key(right)
    if a[0] != b[0]:
        a, b = text_key(left), text_key(right)
    return (a > b) - (a < b)


@functools.lru_cache(maxsize=256)
def _like_regex(pattern: str) -> re.Pattern[str]:
    """SQL LIKE as a compiled regex; cached because a grid filter tests one pattern against every product."""
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


def _like(pattern: str, value: Any) -> bool:
    if value is None:
        return False
    return _like_regex(pattern).fullmatch(str(value)) is not None


def _as_values(value: Any) -> list:
    if isinstance(value, list):
        return value
    return [] if value is None else [v.strip() for v in str(value).split(",")]


def matches(f: Filter, actual: Any) -> bool:
    """One filter against one field value; multi-valued fields match if any value matches."""
    cond = f.condition_type
    if isinstance(actual, list) and cond not in {"null", "notnull", "finset", "nfinset"}:
        if cond in {"neq", "nin", "nlike"}:
            return all(matches(f, a) for a in actual)
        return any(matches(f, a) for a in actual)
    if cond == "null":
        return actual is None or actual == []
    if cond == "notnull":
        return actual is not None and actual != []
    if cond in {"like", "nlike"}:
        hit = _like(str(f.value or ""), actual)
        return hit if cond == "like" else (actual is not None and not hit)
    if cond in {"in", "nin"}:
        hit = any(_compare(actual, v) == 0 for v in _as_values(f.value))
        return hit if cond == "in" else (actual is not None and not hit)
    if cond in {"finset", "nfinset"}:
        members = _as_values(actual if not isinstance(actual, list) else ",".join(map(str, actual)))
        hit = str(f.value) in members
        return hit if cond == "finset" else not hit
    c = _compare(actual, f.value)
    if c is None:
        return False
    return {
        "eq": c == 0, "neq": c != 0, "gt": c > 0, "gteq": c >= 0, "moreq": c >= 0, "from": c >= 0,
        "lt": c < 0, "lteq": c <= 0, "to": c <= 0,
    }.get(cond, c == 0)  # unknown types degrade to an IN(value) match in Magento's SQL builder


def apply(items: list[dict], crit: SearchCriteria,
          getter: Callable[[dict, str], Any] | None = None) -> dict:
    """Filter, sort and page `items`; return {items, search_criteria, total_count}."""
    get = getter or (lambda item, name: item.get(name))
    groups = [group for group in crit.filter_groups if group]
    rows = [it for it in items if all(any(matches(f, get(it, f.field)) for f in group) for group in groups)] \
        if groups else list(items)
    for field_name, direction in reversed(crit.sort_orders):
        rows.sort(key=lambda it: cmp_key(get(it, field_name)), reverse=(direction != "ASC"))
    total = len(rows)
    size = crit.page_size or 0
    if size > 0:
        page = max(crit.current_page or 1, 1)
        rows = rows[(page - 1) * size: page * size]
    return {"items": rows, "search_criteria": crit.echo(), "total_count": total}
