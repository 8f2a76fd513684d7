"""Async bulk: operations recorded as open (status 4) and a consumer step that runs them.

Magento only processes bulk operations when its queue consumers run; the sandbox runs the consumer
after a configurable delay and on demand (POST /__sandbox/consumers/run)."""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from .errors import MagentoError
from .state import SandboxState, now_str

log = logging.getLogger(__name__)

STATUS_COMPLETE = 1
STATUS_RETRIABLY_FAILED = 2
STATUS_NOT_RETRIABLY_FAILED = 3
STATUS_OPEN = 4
STATUS_REJECTED = 5

# An operation: (state, element) -> None; raises MagentoError on a business failure.
Executor = Callable[[SandboxState, Any], None]


class BulkManager:
    """Owns the bulks of one SandboxState and the timers of the automatic consumer."""

    def __init__(self, get_state: Callable[[], SandboxState], delay_s: float | None) -> None:
        self._get_state = get_state
        self.delay_s = delay_s
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()

    def schedule(self, topic: str, description: str, elements: list, executor: Executor,
                 rejected: Callable[[], bool], result_message: str) -> dict:
        """MassSchedule::publishMass: accept each element, return the 202 body."""
        state = self._get_state()
        bulk_uuid = str(uuid.uuid4())
        operations, request_items = [], []
        for index, element in enumerate(elements):
            data_hash = hashlib.sha256(json.dumps(element, sort_keys=True).encode()).hexdigest()
            if rejected():
                request_items.append({"id": index, "data_hash": data_hash, "status": "rejected",
                                      "error_message": "Could not publish the operation.", "error_code": 0})
                operations.append({"id": index, "status": STATUS_REJECTED,
                                   "result_message": "Could not publish the operation.", "error_code": 0,
                                   "element": element})
                continue
            request_items.append({"id": index, "data_hash": data_hash, "status": "accepted"})
            operations.append({"id": index, "status": STATUS_OPEN, "result_message": None, "error_code": None,
                               "element": element})
        with state.lock:
            state.bulks[bulk_uuid] = {
                "bulk_id": bulk_uuid, "description": description, "topic_name": topic, "start_time": now_str(),
                "user_id": 1, "user_type": 2, "operations": operations, "executor": executor,
                "result_message": result_message,
            }
        if self.delay_s is not None:
            timer = threading.Timer(self.delay_s, self.run, kwargs={"bulk_uuid": bulk_uuid})
            timer.daemon = True
            with self._lock:
                self._timers.append(timer)
            timer.start()
        return {"bulk_uuid": bulk_uuid, "request_items": request_items,
                "errors": any(i["status"] == "rejected" for i in request_items)}

    def run(self, bulk_uuid: str | None = None) -> dict:
        """The consumer step: execute every open operation (of one bulk or all). Returns counts."""
        state = self._get_state()
        done = failed = 0
        with state.lock:
            bulks = [state.bulks[bulk_uuid]] if bulk_uuid in state.bulks else (
                [] if bulk_uuid else list(state.bulks.values()))
            for bulk in bulks:
                for op in bulk["operations"]:
                    if op["status"] != STATUS_OPEN:
                        continue
                    try:
                        bulk["executor"](state, op["element"])
                    except MagentoError as exc:
                        op.update(status=STATUS_NOT_RETRIABLY_FAILED, result_message=_render(exc),
                                  error_code=exc.code or 0)
                        failed += 1
                    except Exception:  # the consumer logs and marks the operation failed
                        log.exception("sandbox: bulk operation crashed")
                        op.update(status=STATUS_NOT_RETRIABLY_FAILED,
                                  result_message="Sorry, something went wrong. Please see log for details.",
                                  error_code=0)
                        failed += 1
                    else:
                        op.update(status=STATUS_COMPLETE, result_message=bulk["result_message"], error_code=None)
                        done += 1
        return {"completed": done, "failed": failed}

    def cancel_timers(self) -> None:
        """Stop pending automatic consumer runs (used by reset)."""
        with self._lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()


def _render(exc: MagentoError) -> str:
    """Stored result messages are rendered (placeholders filled), unlike webapi error bodies."""
    text = exc.message
    params = exc.parameters
    if isinstance(params, dict):
        for key, value in params.items():
            text = text.replace(f"%{key}", str(value))
    elif isinstance(params, list):
        for i, value in enumerate(params, start=1):
            text = text.replace(f"%{i}", str(value))
    return text


def short_status(bulk: dict) -> dict:
    """GET /V1/bulk/{uuid}/status body."""
    return {
        "operations_list": [{"id": op["id"], "status": op["status"], "result_message": op["result_message"],
                             "error_code": op["error_code"]} for op in bulk["operations"]],
        "user_type": bulk["user_type"], "bulk_id": bulk["bulk_id"], "description": bulk["description"],
        "start_time": bulk["start_time"], "user_id": bulk["user_id"], "operation_count": len(bulk["operations"]),
    }


def detailed_status(bulk: dict) -> dict:
    """GET /V1/bulk/{uuid}/detailed-status body (adds the serialized request data)."""
    body = short_status(bulk)
    body["operations_list"] = [{
        "id": op["id"], "topic_name": bulk["topic_name"], "status": op["status"],
        "serialized_data": json.dumps({"entity_id": None, "entity_link": "", "meta_information":
                                       json.dumps(op["element"])}),
        "result_message": op["result_message"], "error_code": op["error_code"], "bulk_uuid": bulk["bulk_id"],
    } for op in bulk["operations"]]
    return body
