"""I/O-free core of the stock push: rows -> MSI source items, batch planning, input-limit adaptation and the
isolation of bad items in a batch Magento refuses (all-or-nothing source-items).

`push_isolating(items, send, key, sizer)` drives one list of items through an injected `send(batch)` that
raises `Rejected` (Magento refused the batch because of some items) or `LimitExceeded` (the shop's input
limit); transient failures are the sender's business. Good items always land; each bad item ends up alone in
a call Magento refused, so its own message is the one recorded. Magento names the culprits (errors[] or the
single error's parameters carry field "sku") -> those are set aside and the rest is retried at once; when it
names nobody the batch is bisected. Unit tests: tests/sync/test_planning.py.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

T = TypeVar("T")
MAX_ITEMS_TEMPLATE = 'Maximum items of type "%type" is %max'
WHOLE_BATCH_TEMPLATES = ("Could not save Source Item",)  # says nothing about which item: probe one


class StockRow(Protocol):
    """What a source item is made of (mdm.stock.ChangedRow has it)."""

    @property
    def code_mdm(self) -> str: ...

    @property
    def qte_stock(self) -> int | None: ...


def source_item(sku: str, magento_source: str, qte_stock: int | None) -> dict[str, Any]:
    """The MSI source item the original pushed: quantity max(0, qty) (NULL -> 0), in stock iff qty > 0."""
    return source_items([_Row(sku, qte_stock)], magento_source)[0]


def source_items(rows: Iterable[StockRow], magento_source: str) -> list[dict[str, Any]]:
    """`source_item` for each row, in one comprehension (the push builds 100,000s: no call per row)."""
    return [{"sku": row.code_mdm, "source_code": magento_source,
             "quantity": (quantity := max(0, int(row.qte_stock or 0))), "status": 1 if quantity > 0 else 0}
            for row in rows]


class _Row(NamedTuple):
    code_mdm: str
    qte_stock: int | None


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    size = max(1, int(size))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


class Rejected(Exception):
    """Magento refused the whole call because of some of its items."""

    def __init__(self, message: str, *, bad_keys: Iterable[str] = (), item_messages: dict[str, str] | None = None,
                 whole_suspect: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.bad_keys = set(bad_keys)
        self.item_messages = dict(item_messages or {})
        self.whole_suspect = whole_suspect


class LimitExceeded(Exception):
    """The shop enforces input limits: at most `max_items` per array."""

    def __init__(self, max_items: int) -> None:
        super().__init__(f"input limit: at most {max_items} items per call")
        self.max_items = max(1, int(max_items))


def classify_refusal(status: int, message: str, details: dict[str, Any] | None) -> Exception | None:
    """Map a final Magento 4xx on a batch call to Rejected / LimitExceeded; None = not about the items."""
    details = details or {}
    template = details.get("template") or message
    parameters = details.get("parameters")
    if status == 400 and template == MAX_ITEMS_TEMPLATE and isinstance(parameters, dict):
        try:
            return LimitExceeded(int(parameters["max"]))
        except (KeyError, TypeError, ValueError):
            return None
    if status not in (400, 404):
        return None
    bad: dict[str, str] = {}
    if isinstance(parameters, dict) and parameters.get("field") == "sku" and parameters.get("value") is not None:
        bad[str(parameters["value"])] = message
    for err in details.get("errors") or []:
        params = err.get("parameters") if isinstance(err, dict) else None
        if isinstance(params, dict) and params.get("field") == "sku" and params.get("value") is not None:
            bad[str(params["value"])] = str(err.get("text") or err.get("message") or message)
    return Rejected(message, bad_keys=bad, item_messages=bad, whole_suspect=template in WHOLE_BATCH_TEMPLATES)


class BatchSizer:
    """The batch size in force (thread-safe); shrinks to the shop's input limit once it is discovered."""

    def __init__(self, size: int) -> None:
        self._size = max(1, int(size))
        self._lock = threading.Lock()
        self.limit_seen: int | None = None

    @property
    def size(self) -> int:
        return self._size

    def shrink(self, max_items: int) -> None:
        with self._lock:
            self.limit_seen = max_items
            self._size = max(1, min(self._size, max_items))


@dataclass
class PushResult(Generic[T]):
    accepted: list[T] = field(default_factory=list)
    rejected: list[tuple[T, str]] = field(default_factory=list)
    calls: int = 0
    refused_calls: int = 0


def push_isolating(items: Sequence[T], send: Callable[[list[T]], None], key: Callable[[T], str],
                   sizer: BatchSizer) -> PushResult[T]:
    """Send `items` in batches of `sizer.size`; see the module docstring. Exceptions other than
    Rejected/LimitExceeded propagate (the caller retries or waits and calls again with what is left)."""
    result: PushResult[T] = PushResult()
    work: deque[list[T]] = deque(chunks(items, sizer.size))
    while work:
        part = work.popleft()
        if len(part) > sizer.size:
            work.extendleft(reversed(chunks(part, sizer.size)))
            continue
        result.calls += 1
        try:
            send(part)
        except LimitExceeded as exc:
            result.refused_calls += 1
            sizer.shrink(exc.max_items)
            work.appendleft(part)
            continue
        except Rejected as exc:
            result.refused_calls += 1
            if exc.whole_suspect and len(part) > 1 and not exc.bad_keys:
                _probe(part, send, key, work, result)
            else:
                _split_refused(part, exc, key, work, result)
            continue
        result.accepted.extend(part)
    return result


def _split_refused(part: list[T], exc: Rejected, key: Callable[[T], str], work: deque[list[T]],
                   result: PushResult[T]) -> None:
    if len(part) == 1:
        item = part[0]
        result.rejected.append((item, exc.item_messages.get(key(item), exc.message)))
        return
    named = [item for item in part if key(item) in exc.bad_keys]
    rest = [item for item in part if key(item) not in exc.bad_keys]
    if named and rest:
        # Retry the rest at once; re-send the named items alone so each gets its own verdict.
        work.appendleft(rest)
        work.extend([item] for item in named)
        return
    middle = len(part) // 2
    work.appendleft(part[middle:])
    work.appendleft(part[:middle])


def _probe(part: list[T], send: Callable[[list[T]], None], key: Callable[[T], str], work: deque[list[T]],
           result: PushResult[T]) -> None:
    """A refusal naming no item ("Could not save Source Item"): one item alone tells whether the reason is
    shared by the batch (an unknown source code: reject it whole, no 2n bisection calls) or item-specific."""
    head, tail = part[0], part[1:]
    result.calls += 1
    try:
        send([head])
    except Rejected as again:
        result.refused_calls += 1
        if again.whole_suspect:
            result.rejected.extend((item, again.message) for item in part)
            return
        result.rejected.append((head, again.item_messages.get(key(head), again.message)))
        work.appendleft(tail)
        return
    result.accepted.append(head)
    middle = len(tail) // 2
    if middle:
        work.appendleft(tail[middle:])
        work.appendleft(tail[:middle])
    else:
        work.appendleft(tail)
