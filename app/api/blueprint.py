"""The Blueprint every API area uses: flask-smorest, with the project's input rules applied to every
schema it parses (bounded numbers, bounded JSON), and validation errors reported as 400."""
from __future__ import annotations

import json
from typing import Any

import flask_smorest
from flask import Request
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from app.api.bounds import bound_numbers
from app.api.json_body import parse_json
from app.errors import MalformedJSON


class _Parser(FlaskParser):
    # The API contract answers invalid input with 400 + field details (webargs' default is 422).
    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return parse_json(req.get_data(cache=True))  # depth and number-length limits (app/api/json_body.py)

    def _handle_invalid_json_error(self, error: json.JSONDecodeError | UnicodeDecodeError, req: Request,
                                   *args: Any, **kwargs: Any) -> Any:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "not UTF-8"
        raise MalformedJSON(details={"reason": reason})


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _Parser()

    def arguments(self, schema: type[Schema] | Schema, **kwargs: Any) -> Any:
        """flask-smorest's decorator, given a schema instance whose number fields all have bounds
        (app/api/bounds.py): the parser and the OpenAPI document read the same bounded instance."""
        instance = schema() if isinstance(schema, type) else schema
        return super().arguments(bound_numbers(instance), **kwargs)
