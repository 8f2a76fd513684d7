"""Parsing of the inventory grid's query string into a validated `InventoryQuery` (pure, no I/O).

Every field name -- from ``sortField``, the named filter parameters or the Magento-style
``searchCriteria[filter_groups][i][filters][j][field|value|condition_type]`` -- is checked against the
`FIELDS` whitelist here, so an unknown or hostile name raises `InvalidInput` (400) and never reaches SQL.
Values are converted to the field's type and later bound as parameters. Empty strings mean "no filter".
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from app.errors import InvalidInput

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 500
MAX_INDEX = 20  # filter groups / filters per group / sort orders: plenty for a grid, bounded for safety

# Public field name -> (canonical field, kind). Canonical fields are the grid's column keys.
FIELDS: dict[str, tuple[str, str]] = {
    "Code_MDM": ("Code_MDM", "str"), "sku": ("Code_MDM", "str"),
    "Code_Source": ("Code_Source", "int"), "sourceCode": ("Code_Source", "int"),
    "Source": ("Source", "str"),
    "Succursale": ("Succursale", "succursale"), "succursale": ("Succursale", "succursale"),
    "QteStock": ("QteStock", "int"),
    "DateDernierMaJ": ("DateDernierMaJ", "datetime"),
    "changed": ("changed", "bool"),
    "syncedDate": ("syncedDate", "datetime"),
    "Code_JDE": ("Code_JDE", "str"), "refArticle": ("Code_JDE", "str"),
    "TypeProd": ("TypeProd", "str"),
    "Libelle": ("Libelle", "str"), "description": ("Libelle", "str"),
    "Categorie": ("Categorie", "str"), "categorie": ("Categorie", "str"),
    "Marque": ("Marque", "str"),
}
SORTABLE = frozenset(FIELDS) - {"sku"}
CONDITIONS = frozenset({"eq", "neq", "like", "nlike", "in", "nin", "gt", "gteq", "lt", "lteq",
                        "from", "to", "null", "notnull"})
SEARCH_FIELDS = ("Code_MDM", "Code_JDE", "Libelle")  # plus store names, via the store mapping

# Named query parameters -> (canonical field, condition).
NAMED_FILTERS: dict[str, tuple[str, str]] = {
    "sourceCode": ("Code_Source", "eq"),
    "succursale": ("Succursale", "eq"),
    "Code_MDM": ("Code_MDM", "eq"),
    "TypeProd": ("TypeProd", "eq"),
    "refArticle": ("Code_JDE", "contains"),
    "description": ("Libelle", "contains"),
    "categorie": ("Categorie", "contains"),
    "dateMin": ("DateDernierMaJ", "gteq"),
    "dateMax": ("DateDernierMaJ", "lt_day_end"),
}
PLAIN_PARAMS = frozenset({"page", "pageSize", "sortField", "sortOrder", "search", "changed",
                          "showChangedOnly"}) | frozenset(NAMED_FILTERS)

_FILTER_KEY = re.compile(r"^searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]"
                         r"\[(field|value|condition_type)\]$")
_SORT_KEY = re.compile(r"^searchCriteria\[sortOrders\]\[(\d+)\]\[(field|direction)\]$")
_PAGING_KEY = re.compile(r"^searchCriteria\[(pageSize|currentPage)\]$")


@dataclass(frozen=True)
class Condition:
    """One bound predicate: canonical `field`, a condition from CONDITIONS (or contains/search), typed value."""

    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class InventoryQuery:
    """AND of `groups`; each group is an OR of conditions. `sort` lists (canonical field, descending)."""

    page: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    sort: tuple[tuple[str, bool], ...] = ()
    groups: tuple[tuple[Condition, ...], ...] = field(default_factory=tuple)


def _bad(name: str, reason: str) -> InvalidInput:
    return InvalidInput(f"Invalid parameter {name}: {reason}.", details={name: [reason]})


def _int(name: str, raw: str, *, minimum: int, maximum: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise _bad(name, "must be an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise _bad(name, f"must be between {minimum} and {maximum}" if maximum else f"must be >= {minimum}")
    return value


def _bool(name: str, raw: str) -> bool:
    text = raw.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise _bad(name, "must be true or false")


def _datetime(name: str, raw: str) -> datetime:
    text = raw.strip().replace("Z", "+00:00")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(name, "must be an ISO date or date-time") from None
    return value.replace(tzinfo=None)  # MDM stores naive local times (as SQL Server's GETDATE())


def convert(name: str, kind: str, raw: str) -> Any:
    """Convert one raw value to the field's type; raises InvalidInput."""
    if kind == "int":
        return _int(name, raw, minimum=-(2**31), maximum=2**31 - 1)
    if kind == "bool":
        return _bool(name, raw)
    if kind == "datetime":
        return _datetime(name, raw)
    if len(raw) > 200:
        raise _bad(name, "is too long")
    return raw.strip()


def _resolve_field(name: str, raw: str) -> tuple[str, str]:
    if raw not in FIELDS:
        raise _bad(name, f"unknown field {raw[:50]!r}")
    return FIELDS[raw]


def _criteria_condition(name: str, spec: dict[str, str]) -> Condition:
    canonical, kind = _resolve_field(name + "[field]", spec.get("field", ""))
    op = (spec.get("condition_type") or "eq").strip().lower()
    if op not in CONDITIONS:
        raise _bad(name + "[condition_type]", f"unknown condition {op[:20]!r}")
    raw = spec.get("value", "")
    if op in ("null", "notnull"):
        return Condition(canonical, op)
    if op in ("like", "nlike"):
        if kind not in ("str",):
            raise _bad(name + "[condition_type]", f"{op} applies to text fields only")
        return Condition(canonical, op, convert(name + "[value]", "str", raw))
    if kind == "succursale" and op not in ("eq", "neq", "in", "nin"):
        raise _bad(name + "[condition_type]", "Succursale supports eq, neq, in, nin")
    if op in ("in", "nin"):
        parts = [p for p in raw.split(",") if p.strip()]
        if not parts or len(parts) > 500:
            raise _bad(name + "[value]", "needs 1 to 500 comma-separated values")
        return Condition(canonical, op, tuple(convert(name + "[value]", kind, p) for p in parts))
    return Condition(canonical, op, convert(name + "[value]", kind, raw))


def parse_inventory_params(params: Mapping[str, str]) -> InventoryQuery:
    """Validate the grid's query parameters (one value per key). Raises InvalidInput on anything unknown."""
    page, page_size = 0, DEFAULT_PAGE_SIZE
    groups: list[tuple[Condition, ...]] = []
    criteria: dict[int, dict[int, dict[str, str]]] = {}
    sort_orders: dict[int, dict[str, str]] = {}
    paging: dict[str, str] = {}
    for key, raw in params.items():
        raw = "" if raw is None else str(raw)
        if key.startswith("searchCriteria"):
            if m := _FILTER_KEY.match(key):
                gi, fi = int(m.group(1)), int(m.group(2))
                if gi >= MAX_INDEX or fi >= MAX_INDEX:
                    raise _bad(key, "index too large")
                criteria.setdefault(gi, {}).setdefault(fi, {})[m.group(3)] = raw
            elif m := _SORT_KEY.match(key):
                if int(m.group(1)) >= MAX_INDEX:
                    raise _bad(key, "index too large")
                sort_orders.setdefault(int(m.group(1)), {})[m.group(2)] = raw
            elif m := _PAGING_KEY.match(key):
                paging[m.group(1)] = raw
            else:
                raise _bad(key[:80], "unknown searchCriteria parameter")
        elif key not in PLAIN_PARAMS:
            raise _bad(key[:80], "unknown parameter")
    if params.get("page", "").strip():
        page = _int("page", params["page"], minimum=0, maximum=10_000_000)
    if params.get("pageSize", "").strip():
        page_size = _int("pageSize", params["pageSize"], minimum=1, maximum=MAX_PAGE_SIZE)
    if paging.get("pageSize", "").strip():
        page_size = _int("searchCriteria[pageSize]", paging["pageSize"], minimum=1, maximum=MAX_PAGE_SIZE)
    if paging.get("currentPage", "").strip():  # Magento pages are 1-based
        page = _int("searchCriteria[currentPage]", paging["currentPage"], minimum=1, maximum=10_000_000) - 1

    for name, (canonical, op) in NAMED_FILTERS.items():
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        kind = FIELDS[canonical][1]
        if op == "lt_day_end":
            value = _datetime(name, raw)
            if len(raw) <= 10:  # a bare date: include that whole day
                value, op = datetime.combine(value.date() + timedelta(days=1), time.min), "lt"
            else:
                op = "lteq"
            groups.append((Condition(canonical, op, value),))
        else:
            groups.append((Condition(canonical, op, convert(name, kind, raw)),))
    for name in ("changed", "showChangedOnly"):
        raw = (params.get(name) or "").strip()
        if raw:
            wanted = _bool(name, raw)
            # showChangedOnly=false means "everything"; changed=0 explicitly asks for unchanged rows.
            if wanted or name == "changed":
                groups.append((Condition("changed", "eq", wanted),))
    search = (params.get("search") or "").strip()
    if search:
        groups.append((Condition("*", "search", convert("search", "str", search)),))
    for gi in sorted(criteria):
        group = tuple(_criteria_condition(f"searchCriteria[filter_groups][{gi}][filters][{fi}]", spec)
                      for fi, spec in sorted(criteria[gi].items()))
        groups.append(group)

    sort: list[tuple[str, bool]] = []
    if (params.get("sortField") or "").strip():
        sort.append(_sort_entry("sortField", params["sortField"], params.get("sortOrder") or "asc"))
    for i in sorted(sort_orders):
        spec = sort_orders[i]
        sort.append(_sort_entry(f"searchCriteria[sortOrders][{i}][field]", spec.get("field", ""),
                                spec.get("direction") or "asc"))
    return InventoryQuery(page=page, page_size=page_size, sort=tuple(sort), groups=tuple(groups))


def _sort_entry(name: str, raw_field: str, raw_order: str) -> tuple[str, bool]:
    raw_field = raw_field.strip()
    if raw_field not in SORTABLE:
        raise _bad(name, f"cannot sort by {raw_field[:50]!r}")
    order = raw_order.strip().lower()
    if order not in ("asc", "desc"):
        raise _bad("sortOrder", "must be asc or desc")
    return FIELDS[raw_field][0], order == "desc"


