"""The one rule for numbers in requests: every integer and number has bounds, whatever route reads it.

`bound_numbers` completes a request schema (ApiBlueprint.arguments calls it for every schema it is
given, nested schemas and list items included): an integer field without its own lower or upper bound
gets the SQL INT range, any other number field +/-NUMBER_LIMIT. A path `<int:...>` is bounded the same
way by `BoundedIntegerConverter`. Prices are `Price` fields, capped by the MAX_PRICE setting. The
bounds are validators, so the OpenAPI document states them (minimum/maximum) and webargs refuses a
value outside them with the usual 400 `invalid_input` before any database or upstream sees it.
"""
from __future__ import annotations

from typing import Any

from flask import has_app_context
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.routing import IntegerConverter, Map

from config.current import get_settings

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # SQL INT: ids, pages, offsets, store/source codes, quantities
NUMBER_LIMIT = 1e15  # a non-integer number without its own range (exact in a double)


def _has(field: fields.Field, side: str) -> bool:
    # Duck-typed like apispec: any validator with a min/max (Range, MaxPrice) counts.
    return any(getattr(v, side, None) is not None for v in field.validators if hasattr(v, "min"))


def _bound_field(field: fields.Field, seen: set[int]) -> None:
    if isinstance(field, fields.Number):
        low, high = (INT_MIN, INT_MAX) if isinstance(field, fields.Integer) else (-NUMBER_LIMIT, NUMBER_LIMIT)
        missing_min, missing_max = not _has(field, "min"), not _has(field, "max")
        if missing_min or missing_max:
            field.validators.append(validate.Range(min=low if missing_min else None,
                                                   max=high if missing_max else None))
    elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        bound_numbers(field.schema, seen)
    elif isinstance(field, fields.List):
        _bound_field(field.inner, seen)
    elif isinstance(field, fields.Tuple):
        for item in field.tuple_fields:
            _bound_field(item, seen)
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        _bound_field(field.value_field, seen)


def bound_numbers(schema: Schema, seen: set[int] | None = None) -> Schema:
    """Add the default bounds to every number field of `schema` (an instance; changed in place)."""
    seen = set() if seen is None else seen
    if id(schema) in seen:
        return schema
    seen.add(id(schema))
    for field in schema.fields.values():
        _bound_field(field, seen)
    return schema


def unbounded_fields(schema: Schema, prefix: str = "") -> list[str]:
    """Number fields of `schema` lacking a lower or an upper bound (what the contract tests look for)."""
    out = []
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Number) and not (_has(inner, "min") and _has(inner, "max")):
            out.append(prefix + name)
        elif isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
            out.extend(unbounded_fields(inner.schema, f"{prefix}{name}."))
    return out


def max_price() -> float:
    """MAX_PRICE of the current app (the setting's default outside an app)."""
    if has_app_context():
        return float(get_settings().sync.max_price)
    from config.sections import SyncSettings, setting_of

    return float(setting_of(SyncSettings, "max_price").default)


class MaxPrice(validate.Validator):
    """0 <= price <= MAX_PRICE, read when the request is validated (MAX_PRICE is per app, schemas are not)."""

    min = 0.0
    error = "Must be between 0 and {max:g} (MAX_PRICE)."

    @property
    def max(self) -> float:
        return max_price()

    def __call__(self, value: Any) -> Any:
        limit = self.max
        if not 0 <= value <= limit:
            raise ValidationError(self.error.format(max=limit))
        return value


class Price(fields.Float):
    """A price sent by a client: finite, not negative, at most MAX_PRICE."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["validate"] = [MaxPrice(), *_as_list(kwargs.get("validate"))]
        super().__init__(allow_nan=False, **kwargs)


def _as_list(validators: Any) -> list:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, (list, tuple)) else [validators]


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` in a route: at most INT_MAX unless the rule says otherwise (the URL map's "int")."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, INT_MAX if max is None else max, signed)
