"""One Magento read per identical uncached proxied GET in flight in this worker; the callers that ask
for the same thing meanwhile share its answer.

The React dashboard fires each of its calls twice at once, and users who open it in the same second ask
for the same pages: each of those missed the cache together and held a Gunicorn thread and a Magento
bulkhead slot for its own copy of one answer (issue 14: 10 users at once, 80 list calls for 40 answers).
The key carries the cache namespace's generation, so a caller that arrives after a write (which moves the
generation) never joins a read started before it. Per process: across workers the cache fill does it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

T = TypeVar("T")


@dataclass
class _Flight(Generic[T]):
    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None


class SingleFlight(Generic[T]):
    """`run(key, call, wait)`: the first caller of a key runs `call`; callers that come while it runs wait
    for it (at most `wait` seconds, then `on_timeout()` is raised) and get its result or its exception."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight[T]] = {}

    def run(self, key: Hashable, call: Callable[[], T], wait: float,
            on_timeout: Callable[[], BaseException]) -> tuple[T, bool]:
        """(result, shared): shared is True when another caller's call gave the result."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if leader:
            try:
                flight.result = call()
                return flight.result, False
            except BaseException as exc:
                flight.error = exc
                raise
            finally:
                with self._lock:
                    del self._flights[key]
                flight.done.set()
        if not flight.done.wait(wait):
            raise on_timeout()
        if flight.error is not None:
            # The same answer as the leader's (a Magento 4xx, a timeout, an open breaker): a follower that
            # called again would wait twice, past the frontend's timeout.
            raise flight.error
        return cast(T, flight.result), True  # set before `done` when there is no error

    def in_flight(self) -> int:
        with self._lock:
            return len(self._flights)
