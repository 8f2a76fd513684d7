"""Magento's webapi error bodies: MagentoError and constructors for the exact messages Magento sends.

Magento renders {message, parameters?, errors?, code?} with the message template's placeholders NOT
filled in; `parameters` is an object for %name placeholders and a list for %1-style ones.
"""
from __future__ import annotations

import uuid
from typing import Any

ROUTE_NOT_FOUND = "Request does not match any route."
DECODING_ERROR = "Decoding error."
CONTENT_TYPE_EMPTY = "Content-Type header is empty."
METHOD_INVALID = "Request method is invalid."
REQUIRED_FIELD = '"%fieldName" is required. Enter and try again.'
INPUT_EXCEPTIONS = "One or more input exceptions have occurred."
ACL_DENIED = "The consumer isn't authorized to access %resources."
SIGN_IN_INCORRECT = (
    "The account sign-in was incorrect or your account is disabled temporarily. "
    "Please wait and try again later."
)
PRODUCT_NOT_FOUND = "The product that was requested doesn't exist. Verify the product and try again."
ENTITY_NOT_FOUND = "The entity that was requested doesn't exist. Verify the entity and try again."
NO_SUCH_ENTITY_FIELD = "No such entity with %fieldName = %fieldValue"
INVALID_TYPE = 'Invalid type for value: "%value". Expected Type: "%type".'
MAX_PAGE_SIZE = "Maximum SearchCriteria pageSize is %max"
MAX_ITEMS = 'Maximum items of type "%type" is %max'
INTERNAL_ERROR = "Internal Error. Details are available in Magento log file. Report ID: %1"

Phrase = tuple[str, Any]  # (template, parameters)


class MagentoError(Exception):
    """An error Magento's webapi would render; `status` is the HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        parameters: dict | list | None = None,
        errors: list[Phrase] | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameters = parameters
        self.errors = errors or []
        self.code = code

    def body(self) -> dict:
        """The JSON body exactly as Magento shapes it (absent keys rather than nulls)."""
        out: dict[str, Any] = {"message": self.message}
        if self.errors:
            out["errors"] = [_phrase_body(m, p) for m, p in self.errors]
        if self.code:
            out["code"] = self.code
        if self.parameters not in (None, [], {}):
            out["parameters"] = self.parameters
        return out


def _phrase_body(message: str, parameters: Any) -> dict:
    item: dict[str, Any] = {"message": message}
    if parameters not in (None, [], {}):
        item["parameters"] = parameters
    return item


def aggregate(original: str, phrases: list[Phrase], status: int = 400) -> MagentoError:
    """AbstractAggregateException: one error replaces the message; 2+ keep `original` + errors[]."""
    if len(phrases) == 1:
        message, params = phrases[0]
        return MagentoError(status, message, params)
    return MagentoError(status, original, errors=list(phrases))


def route_not_found() -> MagentoError:
    """Unknown route or a known route with the wrong verb (Magento never answers 405)."""
    return MagentoError(404, ROUTE_NOT_FOUND)


def unauthorized(resources: str) -> MagentoError:
    """Missing, invalid and expired tokens all get this same ACL body."""
    return MagentoError(401, ACL_DENIED, {"resources": resources})


def required(*field_names: str) -> MagentoError:
    """Missing required service parameters (aggregated like Magento's InputException)."""
    return aggregate(INPUT_EXCEPTIONS, [(REQUIRED_FIELD, {"fieldName": n}) for n in field_names])


def invalid_type(value: Any, type_name: str) -> MagentoError:
    """A scalar that cannot be converted to the DTO's declared type."""
    return MagentoError(400, INVALID_TYPE, {"value": _php_string(value), "type": type_name})


def product_not_found() -> MagentoError:
    """NoSuchEntityException for a product SKU."""
    return MagentoError(404, PRODUCT_NOT_FOUND)


def no_such_entity(field_name: str, value: Any) -> MagentoError:
    """NoSuchEntityException::singleField."""
    return MagentoError(404, NO_SUCH_ENTITY_FIELD, {"fieldName": field_name, "fieldValue": str(value)})


def new_report_id() -> str:
    """Magento's webapi report id: 'webapi-' + a uniqid-like hex string."""
    return "webapi-" + uuid.uuid4().hex[:13]


def internal_error() -> MagentoError:
    """Any unexpected exception (production mode hides the cause behind a report id)."""
    # Magento fills this one placeholder itself before rendering.
    return MagentoError(500, INTERNAL_ERROR.replace("%1", new_report_id()))


def _php_string(value: Any) -> str:
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    return str(value)
