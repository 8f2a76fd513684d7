"""Input conversion the way Magento's ServiceInputProcessor does it: required params, scalar types,
unknown DTO properties and the optional array-size limit."""
from __future__ import annotations

import re
from typing import Any

from . import errors
from .errors import MagentoError

_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def is_numeric(value: Any) -> bool:
    """PHP is_numeric: numbers and numeric strings (booleans are not numeric)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(_NUMERIC.match(value))


def require(body: Any, *names: str) -> None:
    """Raise the aggregated '"%fieldName" is required' error for every missing top-level param."""
    if not isinstance(body, dict):
        raise errors.required(*names)
    missing = [n for n in names if n not in body or body[n] is None]
    if missing:
        raise errors.required(*missing)


def as_float(value: Any, *, nullable: bool = True) -> float | None:
    """Convert like TypeProcessor::setType(float): numeric strings pass, anything else is 400."""
    if value is None and nullable:
        return None
    if isinstance(value, (dict, list)):
        raise errors.invalid_type(type(value).__name__, "float")
    if not is_numeric(value):
        raise errors.invalid_type(value, "float")
    return float(value)


def as_int(value: Any, *, nullable: bool = True) -> int | None:
    """Convert like TypeProcessor::setType(int) (PHP settype truncates numeric strings)."""
    if value is None and nullable:
        return None
    if isinstance(value, (dict, list)):
        raise errors.invalid_type(type(value).__name__, "int")
    if not is_numeric(value):
        raise errors.invalid_type(value, "int")
    return int(float(value))


def as_str(value: Any) -> str | None:
    """Scalars become strings; arrays for a string property are a type error."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise errors.invalid_type("array", "string")
    if value is True:
        return "1"
    if value is False:
        return ""
    return str(value)


def as_bool(value: Any) -> bool | None:
    """filter_var(FILTER_VALIDATE_BOOLEAN): "1", "true", "on", "yes" are true, the rest false."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes"}
    return bool(value)


def reject_unknown(data: dict, known: frozenset[str] | set[str]) -> None:
    """An unknown DTO property has no setter: Magento 2.4.x fails with a 500 (not a 400)."""
    for key in data:
        if key not in known:
            raise errors.internal_error()


def check_array_limit(items: list, type_name: str, limit: int | None) -> None:
    """Input limits mode: 'Maximum items of type "%type" is %max'."""
    if limit is not None and len(items) > limit:
        raise MagentoError(400, errors.MAX_ITEMS, {"type": type_name, "max": limit})


def as_list(value: Any, param: str) -> list:
    """A `Type[]` parameter: JSON arrays (or PHP-style index maps) only."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(str(k).isdigit() for k in value):
        return [value[k] for k in sorted(value, key=lambda k: int(k))]
    raise errors.invalid_type(type(value).__name__, f"{param}[]")
